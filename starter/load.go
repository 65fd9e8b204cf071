package starter

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"
	"go.uber.org/fx"
)

// ConfigEnv names the environment variable holding the YAML file's path.
// When set, it replaces the files given with ConfigFile.
const ConfigEnv = "ROCKETKIT_CONFIG"

// sourceGroup is the value group of configuration sources.
const sourceGroup = "rocketmq.config"

// configSource is one ConfigFile or ConfigValues option. fx delivers value
// groups in random order, so seq (creation order) restores the order.
type configSource struct {
	seq    int64
	file   string
	values map[string]any
}

var sourceSeq atomic.Int64

// ConfigFile makes the module read the YAML file at path. Several files
// are read in the order the options were created, later ones overriding. A missing file fails start-up.
// The ROCKETKIT_CONFIG environment variable, when set, replaces these
// paths.
func ConfigFile(path string) fx.Option {
	return fx.Supply(fx.Annotated{Group: sourceGroup, Target: configSource{seq: sourceSeq.Add(1), file: path}})
}

// ConfigValues supplies configuration from code, as flat keys
// ("rocketmq.name-server") or nested maps. Several are merged in the order
// the options were created; the file and the environment override them.
func ConfigValues(values map[string]any) fx.Option {
	return fx.Supply(fx.Annotated{Group: sourceGroup, Target: configSource{seq: sourceSeq.Add(1), values: values}})
}

// settings is the loaded configuration: the typed rocketmq.* part and the
// whole tree, which listener placeholders read.
type settings struct {
	cfg     Config
	k       *koanf.Koanf
	files   []string
	environ func() []string // the environment the tree was read with
}

type settingsParams struct {
	fx.In
	Sources []configSource `group:"rocketmq.config"`
}

func newSettings(p settingsParams) (*settings, error) {
	return loadSettings(p.Sources, os.Environ)
}

// loadSettings merges, lowest first: the defaults, ConfigValues, the YAML
// files, and ROCKETMQ_* environment variables.
func loadSettings(sources []configSource, environ func() []string) (*settings, error) {
	k, files, err := loadTree(sources, environ)
	if err != nil {
		return nil, err
	}
	cfg := unsetConfig()
	errs := decodeConfig(&cfg, k.Keys(), k.Get)
	cfg.setDefaults()
	if len(errs) == 0 {
		if err := cfg.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &settings{cfg: cfg, k: k, files: files, environ: environ}, nil
}

// loadTree merges the sources, lowest first: ConfigValues, the YAML files
// (or the one in ROCKETKIT_CONFIG), and the ROCKETMQ_* variables of known
// keys. It returns the tree and the files read.
func loadTree(sources []configSource, environ func() []string) (*koanf.Koanf, []string, error) {
	k := koanf.New(".")
	sources = slices.Clone(sources)
	slices.SortFunc(sources, func(a, b configSource) int { return cmp.Compare(a.seq, b.seq) })
	var files []string
	for _, s := range sources {
		if s.values != nil {
			if err := k.Load(confmap.Provider(s.values, "."), nil); err != nil {
				return nil, nil, fmt.Errorf("starter: load ConfigValues: %w", err)
			}
		}
		if s.file != "" {
			files = append(files, s.file)
		}
	}
	if path := lookupEnv(environ, ConfigEnv); path != "" {
		files = []string{path}
	}
	for _, f := range files {
		if err := k.Load(file.Provider(f), yaml.Parser()); err != nil {
			return nil, nil, fmt.Errorf("starter: load config file %s: %w", f, err)
		}
	}
	err := k.Load(env.Provider(".", env.Opt{
		Prefix:      strings.ToUpper(Prefix) + "_",
		EnvironFunc: environ,
		TransformFunc: func(name, value string) (string, any) {
			return envKeys[name], value // unknown variables ("" key) are skipped
		},
	}), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("starter: load environment: %w", err)
	}
	return k, files, nil
}

// lookup resolves a listener placeholder key: from the configuration
// tree, else from the environment variable EnvName(key) (so
// ${billing.consumers} also reads BILLING_CONSUMERS).
func (s *settings) lookup(key string) (string, bool) {
	if v := s.k.Get(key); v != nil {
		switch v.(type) {
		case map[string]any, []any:
			return "", false
		}
		return fmt.Sprint(v), true
	}
	return os.LookupEnv(EnvName(key))
}

func lookupEnv(environ func() []string, name string) string {
	for _, kv := range environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}
