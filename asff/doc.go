// Package asff knows the rules of the AWS Security Finding Format beyond the
// API model's shapes: what BatchImportFindings accepts, what Security Hub
// adds to a finding it stores, and what a re-import may change.
package asff
