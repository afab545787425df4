package muster

import (
	"errors"
	"fmt"
)

// Error codes as AWS names them on the wire. The HTTP adapter maps each to
// its status; a code that the API model declares takes the model's status.
const (
	InvalidInput          = "InvalidInputException"
	InvalidAccess         = "InvalidAccessException"
	AccessDenied          = "AccessDeniedException"
	ResourceNotFound      = "ResourceNotFoundException"
	ResourceConflict      = "ResourceConflictException"
	LimitExceeded         = "LimitExceededException"
	Internal              = "InternalException"
	InvalidSignature      = "InvalidSignatureException"
	UnrecognizedClient    = "UnrecognizedClientException"
	MissingAuthentication = "MissingAuthenticationTokenException"
	ExpiredToken          = "ExpiredTokenException"
	IncompleteSignature   = "IncompleteSignatureException"
	RequestEntityTooLarge = "RequestEntityTooLargeException"
	NotImplemented        = "NotImplementedException"
	UnknownOperation      = "UnknownOperationException"
)

// Error is the one error type that crosses from the domain to the wire: a
// code from the list above and a message for the caller. Errors of any
// other type reach callers as InternalException and are logged.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// APIError is implemented by the errors of packages that this one imports,
// and that therefore cannot return an *Error, to carry a wire code.
type APIError interface {
	error
	APIError() (code, message string)
}

// AsError returns err as an *Error if it is, or wraps, one or an APIError.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	var ae APIError
	if errors.As(err, &ae) {
		code, msg := ae.APIError()
		return &Error{Code: code, Message: msg}, true
	}
	return nil, false
}

// ErrorCode returns the code of err if AsError knows it, and
// InternalException otherwise.
func ErrorCode(err error) string {
	if e, ok := AsError(err); ok {
		return e.Code
	}
	return Internal
}
