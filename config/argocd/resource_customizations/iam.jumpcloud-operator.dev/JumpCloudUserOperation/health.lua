-- Argo CD health of a JumpCloudUserOperation (iam.jumpcloud-operator.dev/v1alpha1), a one-shot
-- action on a JumpCloud user. status.phase is Pending, Running, Succeeded or Failed; a finished
-- operation also has observedGeneration set and Ready (Succeeded) or Stalled (Failed) True.
-- Only Lua's base library is used: Argo CD runs argocd-cm scripts without the standard libraries.
local hs = {}
local status = obj.status or {}

local function condition(type)
  if status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == type then
      return c
    end
  end
  return nil
end

local function nonEmpty(s)
  return s ~= nil and s ~= ""
end

-- The spec is immutable and each object runs once, so a finished phase is final.
if status.phase == "Failed" then
  local stalled = condition("Stalled")
  hs.status = "Degraded"
  if nonEmpty(status.message) then
    hs.message = status.message
  elseif stalled ~= nil and nonEmpty(stalled.message) then
    hs.message = stalled.message
  else
    hs.message = "The operation failed"
  end
  return hs
end
if status.phase == "Succeeded" then
  hs.status = "Healthy"
  if nonEmpty(status.message) then
    hs.message = status.message
  else
    hs.message = "The operation succeeded"
  end
  return hs
end

local stalled = condition("Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = stalled.message
  return hs
end

hs.status = "Progressing"
local phase = status.phase
if not nonEmpty(phase) then
  phase = "Pending"
end
if nonEmpty(status.message) then
  hs.message = phase .. ": " .. status.message
else
  hs.message = phase .. ": waiting for the operator"
end
return hs
