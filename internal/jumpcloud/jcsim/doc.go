// Package jcsim is an in-memory simulator of JumpCloud's REST API, v1 for system users and their
// SSH keys and v2 for user groups and their members, faithful to the contract JumpCloud publishes
// (docs/simulator.md): the same paths under /api and /api/v2, methods, status codes, error bodies,
// state machine, uniqueness and naming rules, password policy, filters, sort, field selection,
// search, pagination, API keys and x-org-id, static and dynamic groups, and the Directory Insights
// events of every change (POST /insights/directory/v1/events). Its conformance test
// validates every answer against JumpCloud's OpenAPI documents. It does not import the client
// package: it is an independent implementation, so that client tests against it mean something.
//
// A Server is an http.Handler. Tests call Start to serve it on 127.0.0.1 and get the base URL;
// the jumpcloud-sim command serves it on a chosen address. Knobs (latency, a server-side rate
// limit that answers 429, injected faults including "commit then drop the connection", a hook
// before each operation) can be changed at run time, and every request is recorded in a request
// log with counters by operation. Helpers manipulate state directly, like an admin in the
// console would (EditUser, LockOut, SeedUsers, AddUser, AddGroup, AddMember, AddSSHKey).
//
// Where JumpCloud's behaviour is undocumented the simulator picks one answer and makes it a knob:
// the status of a duplicate (400 or 409), the default state of new users, whether the 2026
// POST /state/suspend route exists, whether usernames are unique case-insensitively, whether a PUT
// may move a STAGED user to ACTIVATED, how membership changes that change nothing are answered,
// whether review-required dynamic groups wait for approval.
//
// Admin endpoints live outside /api, under /_sim/ (see admin.go); they need the admin token when
// one is configured and otherwise answer loopback clients only.
package jcsim
