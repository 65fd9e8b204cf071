package sqlkit

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Server describes a database server.
type Server struct {
	// Version is VERSION() as the server reports it, e.g.
	// "10.11.6-MariaDB-0+deb12u1" or "8.0.36".
	Version string
	// MariaDB is true for MariaDB, false for MySQL (and compatibles).
	MariaDB bool
	// Major, Minor and Patch are the parsed version numbers.
	Major, Minor, Patch int
}

// String names the server, e.g. "MariaDB 10.11.6".
func (s Server) String() string {
	name := "MySQL"
	if s.MariaDB {
		name = "MariaDB"
	}
	return fmt.Sprintf("%s %d.%d.%d", name, s.Major, s.Minor, s.Patch)
}

// SkipLocked reports whether the server supports FOR UPDATE SKIP LOCKED:
// MySQL 8.0.1+ or MariaDB 10.6+.
func (s Server) SkipLocked() bool {
	if s.MariaDB {
		return s.Major > 10 || s.Major == 10 && s.Minor >= 6
	}
	return s.Major > 8 || s.Major == 8 && (s.Minor > 0 || s.Patch >= 1)
}

var versionRE = regexp.MustCompile(`^(?:5\.5\.5-)?(\d+)\.(\d+)\.(\d+)`)

// ParseVersion parses a VERSION() string. MariaDB is recognised by the
// "MariaDB" suffix (and the "5.5.5-" prefix old replication handshakes
// add).
func ParseVersion(v string) (Server, error) {
	m := versionRE.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		return Server{}, fmt.Errorf("%w: cannot parse version %q", ErrUnsupportedServer, v)
	}
	s := Server{Version: v, MariaDB: strings.Contains(strings.ToLower(v), "mariadb")}
	s.Major, _ = strconv.Atoi(m[1])
	s.Minor, _ = strconv.Atoi(m[2])
	s.Patch, _ = strconv.Atoi(m[3])
	return s, nil
}

// CheckVersion returns ErrUnsupportedServer, naming the server and what is
// needed, unless v is MySQL 8.0.1+ or MariaDB 10.6+.
func CheckVersion(v string) (Server, error) {
	s, err := ParseVersion(v)
	if err != nil {
		return s, err
	}
	if !s.SkipLocked() {
		return s, fmt.Errorf("%w: %s (%q) lacks FOR UPDATE SKIP LOCKED; the kit needs MySQL 8.0.1+ or MariaDB 10.6+",
			ErrUnsupportedServer, s, v)
	}
	return s, nil
}

// CheckServer reads the server's version and checks it with CheckVersion.
func CheckServer(ctx context.Context, db ContextExecutor) (Server, error) {
	var v string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&v); err != nil {
		return Server{}, fmt.Errorf("read server version: %w", err)
	}
	return CheckVersion(v)
}
