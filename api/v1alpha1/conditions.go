package v1alpha1

// Condition types. They follow the kstatus conventions, so Argo CD, Flux and `kubectl wait` read them
// without extra configuration.
const (
	// ConditionReady is True when JumpCloud matches the spec (for an operation: it succeeded; for a
	// connection: its API key was accepted).
	ConditionReady = "Ready"
	// ConditionReconciling is True while the operator is still working towards the spec.
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when progress needs a human: a bad spec, a rejection by JumpCloud, a
	// missing Secret, a conflict with another resource.
	ConditionStalled = "Stalled"
	// ConditionSynced reports, for an ObserveOnly JumpCloudUser, whether JumpCloud matches the spec
	// (a drift report); for a managed user it is True once the last write was applied.
	ConditionSynced = "Synced"
	// ConditionChangeFeed reports, on a connection whose change feed is enabled, whether the
	// feed polls JumpCloud's Directory Insights events (True) or JumpCloud refused or failed them
	// (False: the periodic comparison alone runs, at the connection's resync interval).
	ConditionChangeFeed = "ChangeFeed"
)

// Condition reasons. Each is a CamelCase word that a person or a tool can match on.
const (
	// ReasonReconciled means the resource matches JumpCloud.
	ReasonReconciled = "Reconciled"
	// ReasonProgressing means work is in progress.
	ReasonProgressing = "Progressing"
	// ReasonUpdating means managed fields are being written to JumpCloud.
	ReasonUpdating = "Updating"
	// ReasonDeleting means the deletion policy is being applied.
	ReasonDeleting = "Deleting"
	// ReasonAlreadyExists means the username exists in JumpCloud, is not this resource's, and
	// adoption is not allowed.
	ReasonAlreadyExists = "AlreadyExists"
	// ReasonManagedElsewhere means another JumpCloudUser already manages the same JumpCloud user.
	ReasonManagedElsewhere = "ManagedElsewhere"
	// ReasonRejected means JumpCloud refused a request as invalid (HTTP 400/409/422).
	ReasonRejected = "Rejected"
	// ReasonPasswordRejected means JumpCloud refused the password under its password policy.
	ReasonPasswordRejected = "PasswordRejected"
	// ReasonSecretNotFound means a referenced Secret or key does not exist.
	ReasonSecretNotFound = "SecretNotFound"
	// ReasonManagerNotFound means the referenced manager cannot be resolved to a JumpCloud id.
	ReasonManagerNotFound = "ManagerNotFound"
	// ReasonUserNotFound means the JumpCloud user does not exist (any more).
	ReasonUserNotFound = "UserNotFound"
	// ReasonGroupNotFound means the JumpCloud group does not exist (or no longer does).
	ReasonGroupNotFound = "GroupNotFound"
	// ReasonMemberNotReady means a member of a group cannot be resolved to a JumpCloud user yet
	// (a JumpCloudUser without an id, an unknown username); no member is removed meanwhile.
	ReasonMemberNotReady = "MemberNotReady"
	// ReasonConnectionNotFound means the referenced (or default) connection does not exist.
	ReasonConnectionNotFound = "ConnectionNotFound"
	// ReasonConnectionNotReady means the connection exists but cannot talk to JumpCloud yet.
	ReasonConnectionNotReady = "ConnectionNotReady"
	// ReasonNamespaceNotAllowed means a ClusterJumpCloudConnection's namespaceSelector excludes the
	// resource's namespace.
	ReasonNamespaceNotAllowed = "NamespaceNotAllowed"
	// ReasonKeyRejected means JumpCloud refused the API key or the organization id (401/403).
	ReasonKeyRejected = "KeyRejected"
	// ReasonUnreachable means JumpCloud could not be reached or kept failing (timeouts, 5xx, 429).
	ReasonUnreachable = "Unreachable"
	// ReasonLockedOut means JumpCloud locked the account (for example after failed logins); the
	// operator reports it and leaves it locked until an explicit unlock.
	ReasonLockedOut = "LockedOut"
	// ReasonPaused means the paused annotation stops all writes.
	ReasonPaused = "Paused"
	// ReasonInSync means an observed user matches the spec.
	ReasonInSync = "InSync"
	// ReasonDrifted means an observed user differs from the spec; the message names the fields.
	ReasonDrifted = "Drifted"
	// ReasonPolling means the change feed polls the Directory Insights events.
	ReasonPolling = "Polling"
	// ReasonFeedStarting means the change feed has not polled yet.
	ReasonFeedStarting = "Starting"
	// ReasonFeedRefused means JumpCloud refused the Directory Insights events (the plan lacks
	// Directory Insights, or the key may not read them); the feed tries again every 10 minutes.
	ReasonFeedRefused = "FeedRefused"
	// ReasonFeedFailing means reading the Directory Insights events keeps failing.
	ReasonFeedFailing = "FeedFailing"
	// ReasonInvalidAnnotation means a one-shot annotation carries an unusable parameter.
	ReasonInvalidAnnotation = "InvalidAnnotation"
	// ReasonOutcomeUnknown means a non-idempotent call (ResetMFA) may or may not have reached JumpCloud
	// before the operator restarted; it is not repeated.
	ReasonOutcomeUnknown = "OutcomeUnknown"
	// ReasonSucceeded means a one-shot operation completed.
	ReasonSucceeded = "Succeeded"
	// ReasonFailed means a one-shot operation failed permanently.
	ReasonFailed = "Failed"
	// ReasonRetriesExhausted means a one-shot operation kept failing transiently until its attempt
	// budget ran out.
	ReasonRetriesExhausted = "RetriesExhausted"
)
