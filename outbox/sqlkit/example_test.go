package sqlkit_test

import (
	"database/sql"
	"errors"
	"fmt"
	"log"

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

// A closed *sql.DB's error, marked: one sentinel for outbox, outbox/inbox
// and txcheck, and the text the caller prefixes once.
func ExampleMarkClosed() {
	db, err := sql.Open("mysql", "app@tcp(db:3306)/shop")
	if err != nil {
		log.Fatal(err)
	}
	_ = db.Close()
	_, err = db.Exec("SELECT 1")
	err = fmt.Errorf("outbox: publish: %w", sqlkit.MarkClosed(err))
	fmt.Println(err)
	fmt.Println(errors.Is(err, sqlkit.ErrDBClosed))
	// Output:
	// outbox: publish: sql: database is closed
	// true
}
