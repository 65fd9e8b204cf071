package sqlkit_test

import (
	"errors"
	"fmt"

	"github.com/rocketkit/rocketkit/outbox/sqlkit"
)

// The kit needs FOR UPDATE SKIP LOCKED.
func ExampleCheckVersion() {
	for _, v := range []string{"10.11.6-MariaDB-0+deb12u1", "10.5.22-MariaDB", "8.0.36", "5.7.44-log"} {
		s, err := sqlkit.CheckVersion(v)
		fmt.Println(s, err == nil)
	}
	// Output:
	// MariaDB 10.11.6 true
	// MariaDB 10.5.22 false
	// MySQL 8.0.36 true
	// MySQL 5.7.44 false
}

// Server errors are classified without importing a driver.
func ExampleIsRetryable() {
	err := fmt.Errorf("claim rows: %w", errors.New("Error 1213 (40001): Deadlock found when trying to get lock"))
	n, _ := sqlkit.ErrorNumber(err)
	fmt.Println(n, sqlkit.IsRetryable(err))
	// Output: 1213 true
}
