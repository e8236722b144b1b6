// Package policy decides what a reader may see of an event or a view
// entry: personal data masked for the public and for readers outside their
// scope, secret ballots hidden from everyone but an auditor, token events
// kept for an unscoped admin. Every read path of the HTTP API, its SSE
// streams included, goes through it; it holds no state and does no I/O.
package policy
