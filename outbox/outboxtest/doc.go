// Package outboxtest gives tests of the MySQL components (outbox, inbox,
// txcheck) a database of their own on a real server.
//
// The server is MYSQL_DSN when set, else root@tcp(127.0.0.1:3306)/test
// (CI and dev machines run MariaDB there). Each call creates a database
// with a unique name and drops it when the test ends. Without a reachable
// server the test fails with a message saying so: it never skips, because
// a skipped transactional test hides exactly the bugs it exists for.
//
// The package does not import a driver: tests import
// github.com/go-sql-driver/mysql for its side effect (driver name "mysql").
package outboxtest
