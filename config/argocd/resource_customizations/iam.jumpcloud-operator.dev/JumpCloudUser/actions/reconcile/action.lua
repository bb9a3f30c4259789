-- Re-sync the user with JumpCloud now instead of at the next resync interval.
-- Sets the iam.jumpcloud-operator.dev/reconcile annotation to a fresh token, the current UTC time;
-- the operator runs the operation once per new token.
local os = require("os")
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["iam.jumpcloud-operator.dev/reconcile"] = os.date("!%Y-%m-%dT%H:%M:%SZ")
return obj
