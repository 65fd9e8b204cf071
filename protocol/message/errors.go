package message

import "errors"

var (
	// ErrMalformed is returned when an encoded record, batch body or offset
	// message id is truncated, has an unknown magic code, a negative length, a
	// length past its end, or a TOTALSIZE that does not match the sum of its
	// parts. Decoders wrap it with a description of the first inconsistency.
	ErrMalformed = errors.New("message: malformed")

	// ErrBadCRC is returned when a record's BODYCRC does not match the CRC32
	// (IEEE) of its body and the caller asked for verification.
	ErrBadCRC = errors.New("message: body crc mismatch")

	// ErrInvalidName is returned when a topic or group name is empty, too
	// long, or contains a character outside [%|a-zA-Z0-9_-].
	ErrInvalidName = errors.New("message: invalid name")

	// ErrInvalidProperty is returned when a property key is empty or a key or
	// value contains one of the separators 0x01 and 0x02, or when a message's
	// properties do not fit the 32767-byte limit of the record encoding.
	ErrInvalidProperty = errors.New("message: invalid property")
)
