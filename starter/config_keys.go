package starter

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/internal/suggest"
	"github.com/rocketkit/rocketkit/listener"
)

// Prefix is the root of the module's configuration keys.
const Prefix = "rocketmq"

// configKey is one leaf of Config: its full key and where it lives.
type configKey struct {
	name  string // e.g. "rocketmq.producer.group"
	index []int  // reflect field index path from Config
	typ   reflect.Type
}

var durationType = reflect.TypeFor[time.Duration]()

// configKeys lists every key of Config, sorted.
var configKeys = func() []configKey {
	var out []configKey
	var walk func(t reflect.Type, prefix string, index []int)
	walk = func(t reflect.Type, prefix string, index []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("koanf")
			if tag == "" || !f.IsExported() {
				continue
			}
			idx := append(append([]int(nil), index...), i)
			name := prefix + "." + tag
			if f.Type.Kind() == reflect.Struct {
				walk(f.Type, name, idx)
				continue
			}
			out = append(out, configKey{name: name, index: idx, typ: f.Type})
		}
	}
	walk(reflect.TypeFor[Config](), Prefix, nil)
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}()

// Keys lists every configuration key the module reads, e.g.
// "rocketmq.producer.group".
func Keys() []string {
	out := make([]string, len(configKeys))
	for i, k := range configKeys {
		out[i] = k.name
	}
	return out
}

// EnvName is the environment variable that overrides key: upper case, with
// '.' and '-' replaced by '_' (rocketmq.producer.send-message-timeout ->
// ROCKETMQ_PRODUCER_SEND_MESSAGE_TIMEOUT).
func EnvName(key string) string {
	return strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(key))
}

// envKeys maps environment variable names to keys.
var envKeys = func() map[string]string {
	m := make(map[string]string, len(configKeys))
	for _, k := range configKeys {
		m[EnvName(k.name)] = k.name
	}
	return m
}()

// decodeConfig sets the fields of c named by the keys present in get,
// and reports unknown keys below "rocketmq." and values of the wrong type,
// each naming its key.
func decodeConfig(c *Config, keys []string, get func(string) any) []error {
	var errs []error
	known := make(map[string]bool, len(configKeys))
	for _, k := range configKeys {
		known[k.name] = true
	}
	for _, key := range keys {
		if (key == Prefix || strings.HasPrefix(key, Prefix+".")) && !known[key] {
			errs = append(errs, configErr(key, "unknown key%s", suggestKey(key)))
		}
	}
	v := reflect.ValueOf(c).Elem()
	for _, k := range configKeys {
		raw := get(k.name)
		if raw == nil {
			continue
		}
		if err := setField(v.FieldByIndex(k.index), k.typ, raw); err != nil {
			errs = append(errs, configErr(k.name, "%v", err))
		}
	}
	return errs
}

func setField(f reflect.Value, t reflect.Type, raw any) error {
	switch raw.(type) {
	case map[string]any, []any:
		return fmt.Errorf("is a %s, want a single value", map[bool]string{true: "map", false: "list"}[isMap(raw)])
	}
	s := strings.TrimSpace(fmt.Sprint(raw))
	switch {
	case t == durationType:
		var d time.Duration
		switch n := raw.(type) {
		case int:
			d = time.Duration(n) * time.Millisecond
		case int64:
			d = time.Duration(n) * time.Millisecond
		case float64:
			if n != math.Trunc(n) {
				return fmt.Errorf("%v is not a duration (a bare number is whole milliseconds)", n)
			}
			d = time.Duration(n) * time.Millisecond
		default:
			var err error
			if d, err = listener.ParseDuration(s); err != nil {
				return err
			}
		}
		f.SetInt(int64(d))
	case t.Kind() == reflect.String:
		f.SetString(s)
	case t.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not a boolean (true or false)", s)
		}
		f.SetBool(b)
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		n, err := strconv.ParseInt(s, 10, t.Bits())
		if err != nil {
			if f, ferr := strconv.ParseFloat(s, 64); ferr == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
				n, err = int64(f), nil
			}
		}
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		f.SetInt(n)
	default:
		return fmt.Errorf("unsupported field type %s", t)
	}
	return nil
}

func isMap(v any) bool { _, ok := v.(map[string]any); return ok }

// suggestKey returns " (did you mean X?)" for the known key nearest to key.
func suggestKey(key string) string {
	names := make([]string, len(configKeys))
	for i, k := range configKeys {
		names[i] = k.name
	}
	best, _ := suggest.Closest(key, names, 4)
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?)"
}
