// Package gitops tests what the project ships for GitOps tools: the Argo CD resource customizations
// in config/argocd (health checks and actions, run in a Lua environment built the way Argo CD builds
// it) and the Flux example in config/flux (with kstatus, the library behind Flux's health checks),
// both against fixture objects shaped like the ones the operator writes (testdata/).
package gitops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// This file reproduces how Argo CD runs resource customization scripts (util/lua/lua.go in
// argoproj/argo-cd, which uses the same gopher-lua), so that a script passing here behaves the same
// in Argo CD:
//
//   - A script from argocd-cm runs with Lua's standard libraries skipped unless the admin sets
//     resource.customizations.useOpenLibs.<group_kind> (health checks only; actions always run this
//     way). Argo CD then opens package, base and table, and calls its "safe os" opener, which
//     registers os.date and os.time under the already loaded table module, so it adds nothing: the
//     global os stays nil, and string and math are missing. os.date and os.time are reached through
//     `local os = require("os")`, which Argo CD preloads; its own built-in actions do exactly that.
//   - With open libraries (useOpenLibs, and Argo CD's built-in health checks) everything is there.
//   - The object is converted to a Lua table value by value (numbers become Lua numbers), is the
//     global obj, and the script has one second.
//   - The returned table is encoded to JSON with layeh.com/gopher-json at the version Argo CD pins
//     (an empty table is [], a table with keys 1..n an array, one with string keys an object,
//     anything else an error), then decoded: a health status, the discovered actions, or the
//     object an action returns.
//   - The object an action returns is "cleaned": an empty object that Lua turned into an empty
//     array is put back as an empty object.

// luaMode is one of the two ways Argo CD runs a script.
type luaMode struct {
	name     string
	openLibs bool
}

var luaModes = []luaMode{
	{name: "argocd-cm", openLibs: false},
	{name: "useOpenLibs", openLibs: true},
}

// safeOs holds gopher-lua's own os.date and os.time, the functions Argo CD's safe os library copies.
var safeOs = func() map[string]lua.LGFunction {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	lua.OpenOs(l)
	mod := l.GetGlobal(lua.OsLibName).(*lua.LTable)
	funcs := map[string]lua.LGFunction{}
	for _, name := range []string{"date", "time"} {
		funcs[name] = mod.RawGetString(name).(*lua.LFunction).GFunction
	}
	return funcs
}()

// openSafeOs registers the safe functions the way Argo CD does: under the table module's name.
func openSafeOs(l *lua.LState) int {
	l.Push(l.RegisterModule(lua.TabLibName, safeOs))
	return 1
}

// safeOsLoader is what `require("os")` returns.
func safeOsLoader(l *lua.LState) int {
	l.Push(l.SetFuncs(l.NewTable(), safeOs))
	return 1
}

// runLua runs script with obj as the global obj and returns the JSON encoding of the table it returns.
func runLua(obj *unstructured.Unstructured, script string, mode luaMode) ([]byte, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: !mode.openLibs})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.OsLibName, openSafeOs},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return nil, err
		}
	}
	l.PreloadModule(lua.OsLibName, safeOsLoader)

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("actionParams", l.CreateTable(0, 0))
	l.SetGlobal("obj", toLua(l, obj.Object))
	if err := l.DoString(script); err != nil {
		return nil, err
	}
	ret := l.Get(-1)
	if ret.Type() != lua.LTTable {
		return nil, fmt.Errorf("expect table output from Lua script, not %s", ret.Type())
	}
	return json.Marshal(luaJSON{value: ret, visited: map[*lua.LTable]bool{}})
}

// toLua converts a decoded Kubernetes object to Lua values, as Argo CD's decodeValue does.
func toLua(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case json.Number:
		return lua.LString(v)
	case int:
		return lua.LNumber(v)
	case int32:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case []any:
		arr := l.CreateTable(len(v), 0)
		for _, item := range v {
			arr.Append(toLua(l, item))
		}
		return arr
	case map[string]any:
		tbl := l.CreateTable(0, len(v))
		for key, item := range v {
			tbl.RawSetH(lua.LString(key), toLua(l, item))
		}
		return tbl
	}
	return lua.LNil
}

// luaJSON encodes a Lua value with the rules of layeh.com/gopher-json at the version Argo CD uses.
type luaJSON struct {
	value   lua.LValue
	visited map[*lua.LTable]bool
}

func (j luaJSON) MarshalJSON() ([]byte, error) {
	switch v := j.value.(type) {
	case lua.LBool:
		return json.Marshal(bool(v))
	case lua.LNumber:
		return json.Marshal(float64(v))
	case lua.LString:
		return json.Marshal(string(v))
	case *lua.LNilType:
		return []byte("null"), nil
	case *lua.LTable:
		return j.table(v)
	}
	return nil, fmt.Errorf("cannot encode %s to JSON", j.value.Type())
}

func (j luaJSON) table(t *lua.LTable) ([]byte, error) {
	if j.visited[t] {
		return nil, errors.New("cannot encode recursively nested tables to JSON")
	}
	j.visited[t] = true
	key, value := t.Next(lua.LNil)
	switch key.Type() {
	case lua.LTNil:
		return []byte("[]"), nil
	case lua.LTNumber:
		var arr []luaJSON
		for want := lua.LNumber(1); key != lua.LNil; want++ {
			if key != want {
				return nil, errors.New("cannot encode sparse array or mixed key types")
			}
			arr = append(arr, luaJSON{value: value, visited: j.visited})
			key, value = t.Next(key)
		}
		return json.Marshal(arr)
	case lua.LTString:
		obj := map[string]luaJSON{}
		for key != lua.LNil {
			if key.Type() != lua.LTString {
				return nil, errors.New("cannot encode mixed or invalid key types")
			}
			obj[key.String()] = luaJSON{value: value, visited: j.visited}
			key, value = t.Next(key)
		}
		return json.Marshal(obj)
	}
	return nil, errors.New("cannot encode mixed or invalid key types")
}

// cleanReturned puts back the empty objects of old that Lua returned as empty arrays in updated, as
// Argo CD does with the object an action returns.
func cleanReturned(updated, old map[string]any) map[string]any {
	for key, oldValue := range old {
		newValue, ok := updated[key]
		if !ok {
			continue
		}
		switch nv := newValue.(type) {
		case map[string]any:
			if ov, ok := oldValue.(map[string]any); ok {
				updated[key] = cleanReturned(nv, ov)
			}
		case []any:
			switch ov := oldValue.(type) {
			case map[string]any:
				if len(nv) == 0 {
					updated[key] = map[string]any{}
				}
			case []any:
				updated[key] = cleanReturnedArray(nv, ov)
			}
		}
	}
	return updated
}

func cleanReturnedArray(updated, old []any) []any {
	for i := range updated {
		if i >= len(old) {
			break
		}
		switch nv := updated[i].(type) {
		case map[string]any:
			if ov, ok := old[i].(map[string]any); ok {
				updated[i] = cleanReturned(nv, ov)
			}
		case []any:
			if ov, ok := old[i].([]any); ok {
				updated[i] = cleanReturnedArray(nv, ov)
			}
		}
	}
	return updated
}
