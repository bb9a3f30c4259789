-- Unlock an account that JumpCloud locked (for example after failed logins).
-- Sets the iam.jumpcloud-operator.dev/unlock annotation to a fresh token, the current UTC time;
-- the operator runs the operation once per new token.
local os = require("os")
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["iam.jumpcloud-operator.dev/unlock"] = os.date("!%Y-%m-%dT%H:%M:%SZ")
return obj
