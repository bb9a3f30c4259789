-- Argo CD resource actions on a JumpCloudUser. Each action sets one of the operator's one-shot
-- annotations to a fresh token (the current UTC time); the operator runs the operation once for
-- each new token and records it in status.lastHandled.
local observeOnly = obj.spec ~= nil and obj.spec.managementPolicy == "ObserveOnly"
local lockedBySpec = obj.spec ~= nil and obj.spec.locked == true

local actions = {}
-- An ObserveOnly user is never written to: the operator would ignore these tokens.
actions["expire-password"] = {
  ["disabled"] = observeOnly,
  ["displayName"] = "Expire password",
  ["iconClass"] = "fa fa-fw fa-key",
}
actions["reset-mfa"] = {
  ["disabled"] = observeOnly,
  ["displayName"] = "Reset MFA",
  ["iconClass"] = "fa fa-fw fa-mobile",
}
-- Unlock stays offered while status.locked is false: status may lag a fresh lockout by up to one
-- resync interval. It is pointless while spec.locked is true, which the operator enforces.
actions["unlock"] = {
  ["disabled"] = observeOnly or lockedBySpec,
  ["displayName"] = "Unlock",
  ["iconClass"] = "fa fa-fw fa-unlock",
}
actions["reconcile"] = {
  ["disabled"] = false,
  ["displayName"] = "Re-sync with JumpCloud",
  ["iconClass"] = "fa fa-fw fa-sync",
}
return actions
