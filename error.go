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

// ErrorCode returns the code of err if it is, or wraps, an *Error, and
// InternalException otherwise.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}
