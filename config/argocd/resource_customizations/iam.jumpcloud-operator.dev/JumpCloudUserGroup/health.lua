-- Argo CD health of a JumpCloudUserGroup (iam.jumpcloud-operator.dev/v1alpha1).
-- The status follows kstatus: observedGeneration (-1 until the operator has acted) and the
-- conditions Ready, Reconciling and Stalled, plus Synced, the drift report of ObserveOnly groups.
-- A group waiting for members that are no JumpCloud users yet is Reconciling (MemberNotReady),
-- and its message names them.
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

local function isTrue(c)
  return c ~= nil and c.status == "True"
end

local function messageOf(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return fallback
end

local ready, reconciling, stalled = condition("Ready"), condition("Reconciling"), condition("Stalled")
local generation = tonumber(obj.metadata.generation)
local observed = tonumber(status.observedGeneration)

-- What the operator is working on, when it says so.
local function progress(fallback)
  if isTrue(reconciling) then
    return messageOf(reconciling, fallback)
  end
  return fallback
end

-- Not acted on yet, or not yet on this generation: Ready and Stalled describe an older spec.
if observed == nil or observed < 0 then
  hs.status = "Progressing"
  hs.message = progress("Waiting for the operator to act on this group")
  return hs
end
if generation ~= nil and observed ~= generation then
  hs.status = "Progressing"
  hs.message = progress("Waiting for the operator to act on generation " .. tostring(generation))
  return hs
end

if isTrue(stalled) then
  hs.status = "Degraded"
  hs.message = messageOf(stalled, stalled.reason)
  return hs
end
if isTrue(reconciling) then
  hs.status = "Progressing"
  hs.message = messageOf(reconciling, reconciling.reason)
  return hs
end
if isTrue(ready) then
  hs.status = "Healthy"
  hs.message = messageOf(ready, "JumpCloud matches the spec")
  -- Healthy, yet worth a look: (ObserveOnly) JumpCloud differs from the spec.
  local synced = condition("Synced")
  if synced ~= nil and synced.status == "False" and synced.reason == "Drifted" then
    hs.message = hs.message .. "; Drifted: " .. messageOf(synced, "JumpCloud differs from the spec")
  end
  return hs
end

hs.status = "Progressing"
hs.message = messageOf(ready, "Waiting for the Ready condition")
return hs
