package filter

import "fmt"

// InvalidInput is the code of every error this package returns: a filter or
// sort criterion that AWS would refuse is the caller's mistake.
const InvalidInput = "InvalidInputException"

// Error is a filter or sort that cannot be evaluated. Package muster
// imports this one, so it cannot return a *muster.Error; muster.AsError
// turns it into one through its APIError method.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// APIError returns the error's wire code and message.
func (e *Error) APIError() (code, message string) { return e.Code, e.Message }

func errorf(format string, args ...any) *Error {
	return &Error{Code: InvalidInput, Message: fmt.Sprintf(format, args...)}
}
