// Package suggest finds the known name closest to a mistyped one, for the
// "did you mean X?" of error messages (unknown configuration keys, broker.conf
// keys, CLI commands).
package suggest
