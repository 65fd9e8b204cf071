package sqlkit_test

import (
	"errors"
	"testing"

	"github.com/rocketkit/rocketkit/outbox/sqlkit"
)

func TestCheckVersion(t *testing.T) {
	tests := []struct {
		name    string
		version string
		ok      bool
		mariadb bool
	}{
		{"mariadb 10.11", "10.11.19-MariaDB-0+deb12u1", true, true},
		{"mariadb 10.6.0", "10.6.0-MariaDB", true, true},
		{"mariadb 10.5", "10.5.22-MariaDB-log", false, true},
		{"mariadb 11", "11.4.2-MariaDB", true, true},
		{"mariadb old handshake prefix", "5.5.5-10.6.12-MariaDB", true, true},
		{"mysql 8.0.36", "8.0.36", true, false},
		{"mysql 8.0.0", "8.0.0-dmr", false, false},
		{"mysql 8.0.1", "8.0.1-dmr", true, false},
		{"mysql 8.4", "8.4.0-log", true, false},
		{"mysql 5.7", "5.7.44-log", false, false},
		{"garbage", "hello", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := sqlkit.CheckVersion(tt.version)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckVersion(%q) = %v, want ok=%v", tt.version, err, tt.ok)
			}
			if err != nil && !errors.Is(err, sqlkit.ErrUnsupportedServer) {
				t.Errorf("error %v does not wrap ErrUnsupportedServer", err)
			}
			if err == nil && s.MariaDB != tt.mariadb {
				t.Errorf("MariaDB = %v, want %v", s.MariaDB, tt.mariadb)
			}
		})
	}
}

// fakeDriverError looks like go-sql-driver/mysql's *MySQLError.
type fakeDriverError struct {
	Number  uint16
	Message string
}

func (e *fakeDriverError) Error() string { return e.Message }

func TestErrorNumber(t *testing.T) {
	deadlock := &fakeDriverError{Number: 1213, Message: "Deadlock found"}
	tests := []struct {
		name      string
		err       error
		number    int
		retryable bool
	}{
		{"nil", nil, 0, false},
		{"plain", errors.New("boom"), 0, false},
		{"driver error", deadlock, 1213, true},
		{"wrapped", errorsJoin(errors.New("claim"), deadlock), 1213, true},
		{"text", errors.New("claim rows: Error 1205 (HY000): Lock wait timeout exceeded"), 1205, true},
		{"duplicate", errors.New("Error 1062 (23000): Duplicate entry"), 1062, false},
		{"access denied", &fakeDriverError{Number: 1142, Message: "CREATE command denied"}, 1142, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, ok := sqlkit.ErrorNumber(tt.err)
			if n != tt.number || ok != (tt.number != 0) {
				t.Errorf("ErrorNumber = %d, %v; want %d", n, ok, tt.number)
			}
			if got := sqlkit.IsRetryable(tt.err); got != tt.retryable {
				t.Errorf("IsRetryable = %v, want %v", got, tt.retryable)
			}
		})
	}
	if !sqlkit.IsPrivilegeError(&fakeDriverError{Number: 1142}) || !sqlkit.IsDuplicateKey(errors.New("Error 1062: dup")) {
		t.Errorf("classification of access denied or duplicate key failed")
	}
}

func errorsJoin(errs ...error) error { return errors.Join(errs...) }

func TestValidateTableName(t *testing.T) {
	for _, ok := range []string{"rocketkit_outbox", "shop.outbox", "t$1", "A_B"} {
		if err := sqlkit.ValidateTableName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a-b", "a.b.c", "x`y", "drop table", "a;b", "0123456789012345678901234567890123456789012345678901234567890123456789"} {
		if err := sqlkit.ValidateTableName(bad); !errors.Is(err, sqlkit.ErrInvalidTableName) {
			t.Errorf("%q: %v, want ErrInvalidTableName", bad, err)
		}
	}
	if got := sqlkit.QuoteTable("shop.outbox"); got != "`shop`.`outbox`" {
		t.Errorf("QuoteTable = %s", got)
	}
}
