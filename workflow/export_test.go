package workflow

import "liaison"

// InjectFailure makes o fail every message f returns an error for, inside
// the message's transaction, after everything it caused was written.
func InjectFailure(o *Office, f func(liaison.Message) error) { o.inject = f }
