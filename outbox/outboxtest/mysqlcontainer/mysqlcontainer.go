package mysqlcontainer

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql" // wait.ForSQL and Version use driver "mysql"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/modules/mysql"
	"github.com/testcontainers/testcontainers-go/wait"
)

const (
	// ImageEnv names the environment variable holding the image.
	ImageEnv = "ROCKETKIT_MYSQL_IMAGE"
	// DefaultImage is the image when ImageEnv is not set.
	DefaultImage = "mysql:8.4"
	// NetworkEnv names the environment variable that, set to "host", runs
	// the container on the host's network.
	NetworkEnv = "ROCKETKIT_MYSQL_NETWORK"
	// Database is the database the container creates (MYSQL_DATABASE);
	// the DSN names it. outboxtest creates a database per test beside it.
	Database = "test"
)

// Config says which container Start runs. The zero value runs
// DefaultImage with Docker's port mapping.
type Config struct {
	// Image is the image; "" means DefaultImage.
	Image string
	// HostNetwork runs the container on the host's network, the server on
	// a free port of 127.0.0.1, for a Docker daemon without a bridge.
	HostNetwork bool
	// StartupTimeout bounds the wait for the server to answer a query;
	// 0 means 3 minutes (a first start initializes the data directory).
	StartupTimeout time.Duration
}

// ConfigFromEnv returns the Config ImageEnv and NetworkEnv describe.
func ConfigFromEnv() Config {
	return Config{
		Image:       os.Getenv(ImageEnv),
		HostNetwork: os.Getenv(NetworkEnv) == "host",
	}
}

func (c *Config) setDefaults() {
	if c.Image == "" {
		c.Image = DefaultImage
	}
	if c.StartupTimeout <= 0 {
		c.StartupTimeout = 3 * time.Minute
	}
}

// Container is a running MySQL server in a container.
type Container struct {
	// DSN connects as root to Database (go-sql-driver/mysql syntax).
	DSN string
	// Addr is the server's host:port as seen from the tests.
	Addr string
	// Image is the image it runs.
	Image string
	// ID is the container's id.
	ID string
	// HostNetwork says whether it runs on the host's network.
	HostNetwork bool

	ctr testcontainers.Container
}

// Start starts a container and returns once its server answers a query.
// Cancelling ctx abandons the start (the container, if created, is
// removed). The error says what failed and how else to get a server.
func Start(ctx context.Context, cfg Config) (*Container, error) {
	cfg.setDefaults()
	password, err := randomPassword()
	if err != nil {
		return nil, err
	}
	// The mysql module's options set the official image's environment:
	// MYSQL_ROOT_PASSWORD (user root with a password) and MYSQL_DATABASE.
	opts := []testcontainers.ContainerCustomizer{
		mysql.WithUsername("root"),
		mysql.WithPassword(password),
		mysql.WithDatabase(Database),
	}
	port := "3306"
	if cfg.HostNetwork {
		// On the host's network there is no port mapping: the server
		// listens on the host itself, so it gets a port that is free now
		// (--port, which the official image and ours pass to the server)
		// and listens on loopback only. Nothing is published (the
		// module's exposed ports are dropped). The mysqlx port of
		// MySQL 8 is switched off so two containers cannot collide on it;
		// "loose-" makes MariaDB, which has no such option, ignore it.
		free, err := freePort()
		if err != nil {
			return nil, err
		}
		port = strconv.Itoa(free)
		opts = append(opts,
			testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
				hc.NetworkMode = "host"
			}),
			testcontainers.CustomizeRequestOption(func(req *testcontainers.GenericContainerRequest) error {
				req.ExposedPorts = nil
				return nil
			}),
			testcontainers.WithCmd("--port="+port, "--bind-address=127.0.0.1", "--loose-mysqlx=OFF"),
		)
	}
	// The module waits for a log line of MySQL Community Server; a query
	// works for MySQL and MariaDB alike, and on either network: on the
	// host's network MappedPort is the container port itself.
	opts = append(opts, testcontainers.WithWaitStrategy(
		wait.ForSQL(port+"/tcp", "mysql", func(host string, p network.Port) string {
			return dsn(password, hostFor(cfg.HostNetwork, host), p.Port())
		}).WithStartupTimeout(cfg.StartupTimeout).WithPollInterval(500*time.Millisecond),
	))

	var ctr testcontainers.Container
	if cfg.HostNetwork {
		ctr, err = runOnHostNetwork(ctx, cfg.Image, opts...)
	} else {
		var mc *mysql.MySQLContainer
		mc, err = mysql.Run(ctx, cfg.Image, opts...)
		if mc != nil {
			ctr = mc
		}
	}
	if err != nil {
		if ctr != nil {
			_ = ctr.Terminate(context.WithoutCancel(ctx))
		}
		return nil, fmt.Errorf("mysqlcontainer: start %s: %w\n"+
			"The container needs a Docker daemon (DOCKER_HOST) that has the image or can pull it; "+
			"choose the image with %s, or set MYSQL_DSN to a server (MySQL 8.0+ or MariaDB 10.6+) instead",
			cfg.Image, err, ImageEnv)
	}
	c := &Container{Image: cfg.Image, ID: ctr.GetContainerID(), HostNetwork: cfg.HostNetwork, ctr: ctr}
	if cfg.HostNetwork {
		// The module's ConnectionString asks for the mapped port of
		// 3306/tcp, which on the host's network is 3306 itself - another
		// server, or none. The DSN is built from the port given above.
		c.Addr = net.JoinHostPort("127.0.0.1", port)
	} else {
		host, err := ctr.Host(ctx)
		if err == nil {
			var p network.Port
			p, err = ctr.MappedPort(ctx, "3306/tcp")
			c.Addr = net.JoinHostPort(host, p.Port())
		}
		if err != nil {
			_ = ctr.Terminate(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("mysqlcontainer: address of %s: %w", cfg.Image, err)
		}
	}
	host, p, _ := net.SplitHostPort(c.Addr)
	c.DSN = dsn(password, host, p)
	return c, nil
}

// runOnHostNetwork is mysql.Run for a container on the host's network.
// mysql.Run goes through testcontainers.GenericContainer, whose Docker
// provider attaches every container to a default network as well: "bridge",
// or, on a daemon without one (dockerd --bridge=none), a bridge network
// "reaper_default" that it creates - a private subnet on the host, which
// also breaks the start ("conflicts with existing route"). A provider
// whose default network is "host" does neither; the request is built as
// mysql.Run builds it (its environment, then opts, then its credential
// rule), and created and started as GenericContainer does.
func runOnHostNetwork(ctx context.Context, img string, opts ...testcontainers.ContainerCustomizer) (testcontainers.Container, error) {
	req := testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{Image: img},
		Started:          true,
	}
	all := []testcontainers.ContainerCustomizer{
		testcontainers.WithEnv(map[string]string{"MYSQL_DATABASE": Database}),
	}
	all = append(all, opts...)
	all = append(all, mysql.WithDefaultCredentials())
	for _, o := range all {
		if err := o.Customize(&req); err != nil {
			return nil, fmt.Errorf("customize: %w", err)
		}
	}
	// "host" as the default bridge network makes it the provider's default
	// network as well (the deprecated DefaultNetwork option is not needed).
	p, err := testcontainers.NewDockerProvider(testcontainers.WithDefaultBridgeNetwork("host"))
	if err != nil {
		return nil, fmt.Errorf("docker provider: %w", err)
	}
	defer p.Close()
	ctr, err := p.CreateContainer(ctx, req.ContainerRequest)
	if err != nil {
		return ctr, fmt.Errorf("create container: %w", err)
	}
	if err := ctr.Start(ctx); err != nil {
		return ctr, fmt.Errorf("start container: %w", err)
	}
	return ctr, nil
}

// hostFor is where the tests reach the server: loopback on the host's
// network (the server listens nowhere else), else Docker's host.
func hostFor(hostNetwork bool, dockerHost string) string {
	if hostNetwork {
		return "127.0.0.1"
	}
	return dockerHost
}

func dsn(password, host, port string) string {
	return "root:" + password + "@tcp(" + net.JoinHostPort(host, port) + ")/" + Database
}

// Version returns the server's VERSION().
func (c *Container) Version(ctx context.Context) (string, error) {
	var v string
	err := c.query(ctx, "SELECT VERSION()", &v)
	return v, err
}

// DatabasesCreated returns how many CREATE DATABASE statements the server
// has run since it started (status Com_create_db): outboxtest makes one
// per test, so it shows that tests ran on this server.
func (c *Container) DatabasesCreated(ctx context.Context) (int, error) {
	var name string
	var n int
	err := c.query(ctx, "SHOW GLOBAL STATUS LIKE 'Com_create_db'", &name, &n)
	return n, err
}

func (c *Container) query(ctx context.Context, q string, dest ...any) error {
	db, err := sql.Open("mysql", c.DSN)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.QueryRowContext(ctx, q).Scan(dest...)
}

// String describes the container for a log line.
func (c *Container) String() string {
	id := c.ID
	if len(id) > 12 {
		id = id[:12]
	}
	s := "mysql container " + id + " image " + c.Image + " on " + c.Addr
	if c.HostNetwork {
		s += " (host network)"
	}
	return s
}

// Terminate stops and removes the container. Cancelling ctx abandons the
// wait (the container may then be left behind).
func (c *Container) Terminate(ctx context.Context) error {
	return c.ctr.Terminate(ctx)
}

func randomPassword() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("mysqlcontainer: password: %w", err)
	}
	return "rk" + hex.EncodeToString(b[:]), nil
}

// freePort returns a TCP port of 127.0.0.1 that nothing listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("mysqlcontainer: free port: %w", err)
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("mysqlcontainer: free port: not a TCP address")
	}
	return addr.Port, nil
}

// ryukDisabled reports whether testcontainers runs without its reaper.
func ryukDisabled() bool {
	v := strings.ToLower(os.Getenv("TESTCONTAINERS_RYUK_DISABLED"))
	return v == "true" || v == "1"
}
