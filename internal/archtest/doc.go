// Package archtest holds tests of the repository's shape rather than of
// its behaviour: the rules of the house that a review would otherwise
// have to remember (CONTRIBUTING.md lists them). It has no code of its own.
//
// # Rules checked
//
//   - No non-test Go file is longer than 600 lines.
//   - In package broker, a function or method declared in a
//     handle_<code>_<name>.go file is used by no other file: handlers
//     decode and answer; what they share lives in the core files below
//     them.
//   - The broker's delay, timer and transaction components hold no
//     *Broker: they get narrow dependencies (the store, a putter, a
//     producer finder).
//   - Every Go code block of a package's documentation (the package
//     comment and the doc comments of exported names) is a copy of
//     compiled code: its lines appear, in order, in one of the package's
//     test files, best an Example (TestDocCodeIsInExamples; "..." stands
//     for anything, blank and comment lines and trailing comments are
//     ignored, `func TestX(t *testing.T)` matches an Example's
//     `_ = func(t *testing.T)`). Listings, shell commands, YAML and SQL
//     are not Go (goLooking).
package archtest
