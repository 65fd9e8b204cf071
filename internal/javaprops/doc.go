// Package javaprops reads Java .properties text the way
// java.util.Properties.load does, for configuration files written for Java
// programs (RocketMQ's broker.conf). It returns the entries in file order,
// each with the line it starts on, and leaves what the keys mean, and which
// of several entries with the same key wins, to the caller.
//
// # Grammar
//
// The input is split into natural lines at "\r\n", "\r" or "\n". A natural
// line that is empty or holds only blanks (space, tab, form feed), or whose
// first non-blank character is '#' or '!', is skipped; a '#' or '!' later in
// a line is ordinary text.
//
// A natural line that ends in an odd number of backslashes continues on the
// next one: the backslash, the line terminator and the blanks that start the
// next line are dropped, and the lines form one logical line, which starts
// on the line of its first natural line. A comment line never continues,
// and a natural line that continues a logical line is never a comment, even
// when it starts with '#'. A backslash that continues the last line of the
// input is dropped.
//
//	messageDelayLevel = 1s 5s \
//	                    10s 30s
//
// is one entry, key "messageDelayLevel" and value "1s 5s 10s 30s".
//
// The key of a logical line runs from its first non-blank character to the
// first '=', ':' or blank that is not escaped. Blanks after the key are
// skipped, then one '=' or ':' if the key did not already end at one, then
// blanks again; the rest is the value. So "k=v", "k: v", "k v" and
// "k \t = \t v" are all key "k", value "v", and a line "k" has an empty
// value.
//
// In keys and values a backslash escapes the character after it: \t, \n,
// \r and \f stand for tab, newline, carriage return and form feed; \uXXXX
// (exactly four hex digits, either case) for that UTF-16 code unit; and a
// backslash before any other character stands for that character, so "\=",
// "\:", "\ ", "\#" and "\\" put a separator, a blank, a '#' or a backslash
// into a key or value, and "\b" is just "b".
//
// # Deviations
//
// Where this reader differs from Properties.load:
//
//   - The input is text in UTF-8 rather than ISO 8859-1 bytes; bytes that
//     are not valid UTF-8 are kept as they are. One byte order mark at the
//     very start of the input is skipped.
//   - Blanks at the end of a value are cut, unless escaped ("\ "); Java
//     keeps them.
//   - An escaped UTF-16 surrogate pair (\uD83D\uDE00) decodes to its
//     character; a surrogate not paired that way becomes U+FFFD, since a Go
//     string cannot hold a lone surrogate.
//   - A malformed \u escape does not abort the read as Java's
//     IllegalArgumentException does: the entry comes back with Err set (an
//     *[EscapeError]) and the following entries are read as usual.
package javaprops
