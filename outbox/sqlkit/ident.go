package sqlkit

import (
	"fmt"
	"regexp"
	"strings"
)

var identRE = regexp.MustCompile(`^[A-Za-z0-9_$]{1,64}$`)

// ValidateTableName checks that name is an identifier the kit can quote
// safely: letters, digits, _ and $, at most 64 characters, optionally
// qualified as database.table.
func ValidateTableName(name string) error {
	parts := strings.Split(name, ".")
	if len(parts) > 2 {
		return fmt.Errorf("%w: %q", ErrInvalidTableName, name)
	}
	for _, p := range parts {
		if !identRE.MatchString(p) {
			return fmt.Errorf("%w: %q", ErrInvalidTableName, name)
		}
	}
	return nil
}

// QuoteTable quotes a validated table name with backticks: orders →
// `orders`, shop.orders → `shop`.`orders`.
func QuoteTable(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = "`" + p + "`"
	}
	return strings.Join(parts, ".")
}

// BareName returns the table part of a possibly qualified name.
func BareName(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return name
}
