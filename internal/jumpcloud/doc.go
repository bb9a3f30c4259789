// Package jumpcloud owns everything the operator says to JumpCloud's REST API v1 about system
// users: a typed client over net/http, the domain types it returns and accepts, and the typed
// errors callers branch on. It never logs, and it never puts the API key, a password or a raw
// response body into an error.
//
// The shape of the package:
//
//   - [New] builds a [Client] from [Options]: region or base URL, API key, optional x-org-id,
//     a token-bucket rate limit, a retry budget and an optional [Observer] for metrics.
//   - Reads: [Client.GetUser], [Client.ListUsers], [Client.AllUsers] (a paging iterator that
//     survives concurrent inserts), [Client.SearchUsers], [Client.FindUserByUsername].
//   - Writes: [Client.CreateUser] (never retried automatically), [Client.UpdateUser] (partial PUT:
//     only the fields set in [UserFields] are sent), [Client.DeleteUser].
//   - Actions: [Client.ActivateUser], [Client.SuspendUser], [Client.UnlockUser],
//     [Client.ExpirePassword], [Client.ResetMFA].
//   - Errors: every failure is an [*Error] with a [Kind]; use [IsNotFound], [IsAlreadyExists],
//     [IsValidation], [IsRetryable] and friends instead of matching message text.
//
// The in-memory simulator used by the tests lives in the jcsim sub-package.
package jumpcloud
