-- Reset the user's MFA (TOTP) enrollment; JumpCloud emails the user. The grace period comes
-- from the reset-mfa-exclusion-days or reset-mfa-exclusion-until annotation when one is set.
-- Sets the iam.jumpcloud-operator.dev/reset-mfa annotation to a fresh token, the current UTC time;
-- the operator runs the operation once per new token.
local os = require("os")
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["iam.jumpcloud-operator.dev/reset-mfa"] = os.date("!%Y-%m-%dT%H:%M:%SZ")
return obj
