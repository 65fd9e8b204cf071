package starter

import (
	"encoding"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"

	"github.com/knadh/koanf/v2"
	"github.com/rocketkit/rocketkit/internal/suggest"
	"go.uber.org/fx"
)

// AppConfig binds the application's own configuration below prefix (for
// example "billing" for billing.*) to a struct of type T, read from the
// same sources as rocketmq.*, and provides T to the fx application, the way
// @ConfigurationProperties does in Spring. It needs Module in the same
// application.
//
// Starting from defaults, each field tagged `koanf:"key"` takes the value
// of prefix.key: from ConfigValues, then the YAML file, then the
// environment variable EnvName(prefix.key) (BILLING_DB_DSN for
// billing.db-dsn). Nested structs are nested keys; the package
// documentation ("Application configuration") lists the field types. If
// *T has a method Validate() error, it runs last. Any error fails start-up
// naming the key, as for rocketmq.* keys.
//
//	fx.New(
//		starter.Module,
//		starter.AppConfig("billing", BillingConfig{Timeout: time.Second, Workers: 4}),
//		fx.Invoke(func(cfg BillingConfig) { ... }),
//	)
func AppConfig[T any](prefix string, defaults T) fx.Option {
	b, err := newAppBinding[T](prefix)
	if err != nil {
		return fx.Error(err)
	}
	return fx.Provide(func(p appParams) (T, error) {
		if p.Tree == nil {
			var zero T
			return zero, fmt.Errorf("starter: AppConfig(%q) needs starter.Module in the application", prefix)
		}
		return bindApp(b, defaults, p.Tree.k, p.Tree.environ)
	})
}

// LoadAppConfig is AppConfig for code outside fx: it reads the YAML files
// (or the one in ROCKETKIT_CONFIG) and the environment, and returns the
// keys below prefix bound to a copy of defaults. It does not check the
// rocketmq.* keys.
func LoadAppConfig[T any](prefix string, defaults T, files ...string) (T, error) {
	sources := make([]configSource, len(files))
	for i, f := range files {
		sources[i] = configSource{seq: int64(i), file: f}
	}
	return loadApp(prefix, defaults, sources, os.Environ)
}

func loadApp[T any](prefix string, defaults T, sources []configSource, environ func() []string) (T, error) {
	b, err := newAppBinding[T](prefix)
	if err != nil {
		return defaults, err
	}
	k, _, err := loadTree(sources, environ)
	if err != nil {
		return defaults, err
	}
	return bindApp(b, defaults, k, environ)
}

// appTree is the configuration tree AppConfig reads; Module provides it
// (to the whole application: only this package can name the type).
type appTree struct {
	k       *koanf.Koanf
	environ func() []string
}

func newAppTree(s *settings) *appTree { return &appTree{k: s.k, environ: s.environ} }

type appParams struct {
	fx.In
	Tree *appTree `optional:"true"`
}

// appBinding is the keys of one AppConfig type below its prefix.
type appBinding struct {
	prefix string
	keys   []configKey        // leaves, with full names
	nodes  map[string]bool    // the prefix and the keys of nested structs
	envs   map[string]*string // EnvName(key) -> key, for the leaves
}

var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()

// newAppBinding walks T's fields. Errors here are the program's, not the
// configuration's: a bad prefix, an untagged field, an unsupported type.
func newAppBinding[T any](prefix string) (*appBinding, error) {
	t := reflect.TypeFor[T]()
	fail := func(format string, args ...any) error {
		return fmt.Errorf("starter: AppConfig[%v](%q): "+format, append([]any{t, prefix}, args...)...)
	}
	switch {
	case prefix == "" || strings.HasPrefix(prefix, ".") || strings.HasSuffix(prefix, ".") || strings.Contains(prefix, ".."):
		return nil, fail("the prefix must be a key such as billing or app.billing")
	case prefix == Prefix || strings.HasPrefix(prefix, Prefix+"."):
		return nil, fail("%s.* is the module's own configuration", Prefix)
	case t.Kind() != reflect.Struct:
		return nil, fail("T must be a struct")
	}
	b := &appBinding{prefix: prefix, nodes: map[string]bool{prefix: true}, envs: map[string]*string{}}
	var walk func(t reflect.Type, name string, index []int) error
	walk = func(t reflect.Type, name string, index []int) error {
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag, _, _ := strings.Cut(f.Tag.Get("koanf"), ",")
			idx := append(append([]int(nil), index...), i)
			switch {
			case tag == "-":
				continue
			case tag == "" && f.Anonymous && f.Type.Kind() == reflect.Struct:
				if err := walk(f.Type, name, idx); err != nil { // embedded: its keys are the parent's
					return err
				}
				continue
			case tag == "":
				return fail("field %s has no koanf tag (`koanf:\"-\"` leaves it out)", f.Name)
			}
			key := name + "." + tag
			if f.Type.Kind() == reflect.Struct && !isAppLeaf(f.Type) {
				b.nodes[key] = true
				if err := walk(f.Type, key, idx); err != nil {
					return err
				}
				continue
			}
			if !isAppLeaf(f.Type) {
				return fail("field %s (%s): unsupported type %s", f.Name, key, f.Type)
			}
			if other := b.envs[EnvName(key)]; other != nil {
				return fail("%s and %s share the environment variable %s", *other, key, EnvName(key))
			}
			b.envs[EnvName(key)] = &key
			b.keys = append(b.keys, configKey{name: key, index: idx, typ: f.Type})
		}
		return nil
	}
	if err := walk(t, prefix, nil); err != nil {
		return nil, err
	}
	return b, nil
}

// isAppLeaf reports whether AppConfig can set a field of type t from one
// value.
func isAppLeaf(t reflect.Type) bool {
	if t == durationType || reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return true
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.String
	}
	return false
}

// bindApp decodes the keys of b from the tree k and the environment onto
// a copy of defaults, then runs T's Validate.
func bindApp[T any](b *appBinding, defaults T, k *koanf.Koanf, environ func() []string) (T, error) {
	out := defaults
	var errs []error
	for _, key := range k.Keys() {
		if key != b.prefix && !strings.HasPrefix(key, b.prefix+".") || b.known(key) {
			continue
		}
		if b.nodes[key] {
			if v := k.Get(key); v != nil {
				errs = append(errs, configErr(key, "%q is a single value, want keys below it", fmt.Sprint(v)))
			}
			continue
		}
		errs = append(errs, configErr(key, "unknown key%s", b.suggest(key)))
	}
	env := map[string]string{}
	for _, kv := range environ() {
		if name, v, ok := strings.Cut(kv, "="); ok && b.envs[name] != nil {
			env[name] = v
		}
	}
	v := reflect.ValueOf(&out).Elem()
	for _, key := range b.keys {
		raw := k.Get(key.name)
		if s, ok := env[EnvName(key.name)]; ok {
			raw = s
		}
		if raw == nil {
			continue
		}
		if err := setAppField(v.FieldByIndex(key.index), raw); err != nil {
			errs = append(errs, configErr(key.name, "%v", err))
		}
	}
	if len(errs) == 0 {
		if val, ok := any(&out).(interface{ Validate() error }); ok {
			if err := val.Validate(); err != nil {
				errs = append(errs, validationErr(b.prefix, err))
			}
		}
	}
	if len(errs) > 0 {
		return defaults, errors.Join(errs...)
	}
	return out, nil
}

func (b *appBinding) known(key string) bool {
	for _, k := range b.keys {
		if k.name == key {
			return true
		}
	}
	return false
}

func (b *appBinding) suggest(key string) string {
	names := make([]string, len(b.keys))
	for i, k := range b.keys {
		names[i] = k.name
	}
	if best, _ := suggest.Closest(key, names, 4); best != "" {
		return " (did you mean " + best + "?)"
	}
	return ""
}

// setAppField sets f from a configuration value: the types setField
// knows, plus unsigned and floating-point numbers, lists of strings (a
// YAML list, or a comma-separated string as in an environment variable)
// and encoding.TextUnmarshaler.
func setAppField(f reflect.Value, raw any) error {
	t := f.Type()
	if t.Kind() == reflect.Slice {
		var list []string
		switch r := raw.(type) {
		case []any:
			for _, e := range r {
				if _, nested := e.(map[string]any); nested {
					return errors.New("is a list of maps, want a list of strings")
				}
				list = append(list, fmt.Sprint(e))
			}
		case map[string]any:
			return errors.New("is a map, want a list of strings")
		default:
			for _, e := range strings.Split(fmt.Sprint(r), ",") {
				if e = strings.TrimSpace(e); e != "" {
					list = append(list, e)
				}
			}
		}
		f.Set(reflect.ValueOf(list).Convert(t))
		return nil
	}
	switch raw.(type) {
	case map[string]any, []any:
		return setField(f, t, raw) // reports the map or list
	}
	s := strings.TrimSpace(fmt.Sprint(raw))
	switch {
	case t == durationType:
	case f.Addr().Type().Implements(textUnmarshalerType):
		if err := f.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return fmt.Errorf("%q is not a %s: %v", s, t, err)
		}
		return nil
	case t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, t.Bits())
		if err != nil {
			return fmt.Errorf("%q is not a number from 0 to %d", s, uint64(1)<<t.Bits()-1)
		}
		f.SetUint(n)
		return nil
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		x, err := strconv.ParseFloat(s, t.Bits())
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		f.SetFloat(x)
		return nil
	}
	return setField(f, t, raw)
}

// validationErr makes the error of T's Validate name its key: a
// *ConfigError stays as it is, any other error is reported under prefix.
func validationErr(prefix string, err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var errs []error
		for _, e := range j.Unwrap() {
			errs = append(errs, validationErr(prefix, e))
		}
		return errors.Join(errs...)
	}
	if ce := (*ConfigError)(nil); errors.As(err, &ce) {
		return err
	}
	return &ConfigError{Key: prefix, Msg: err.Error(), Err: err}
}
