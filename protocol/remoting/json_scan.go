package remoting

import "fmt"

// Low-level JSON scanning used by decodeJSONHeader: skipping unknown values,
// whitespace and punctuation.

// skip validates and skips one JSON value.
func (d *jsonDecoder) skip(depth int) error {
	if depth > maxJSONDepth {
		return d.syntax("nesting too deep")
	}
	switch d.peek() {
	case '"':
		_, _, _, err := d.scanString()
		return err
	case '{':
		return d.skipComposite(depth, '}', true)
	case '[':
		return d.skipComposite(depth, ']', false)
	case 't':
		return d.want("true")
	case 'f':
		return d.want("false")
	case 'n':
		return d.want("null")
	default:
		return d.number()
	}
}

func (d *jsonDecoder) skipComposite(depth int, closer byte, object bool) error {
	d.i++
	d.ws()
	if d.consume(closer) {
		return nil
	}
	for {
		d.ws()
		if object {
			if d.peek() != '"' {
				return d.syntax("expected object key")
			}
			if _, _, _, err := d.scanString(); err != nil {
				return err
			}
			d.ws()
			if !d.consume(':') {
				return d.syntax("expected ':'")
			}
			d.ws()
		}
		if err := d.skip(depth + 1); err != nil {
			return err
		}
		d.ws()
		switch d.next() {
		case ',':
		case closer:
			return nil
		default:
			return d.syntax("expected ',' or closing bracket")
		}
	}
}

// number validates and skips a JSON number.
func (d *jsonDecoder) number() error {
	d.consume('-')
	switch {
	case d.consume('0'):
	case d.digits() == 0:
		return d.syntax("invalid value")
	}
	if d.consume('.') && d.digits() == 0 {
		return d.syntax("invalid number")
	}
	if d.consume('e') || d.consume('E') {
		if !d.consume('+') {
			d.consume('-')
		}
		if d.digits() == 0 {
			return d.syntax("invalid number")
		}
	}
	return nil
}

func (d *jsonDecoder) digits() int {
	start := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	return d.i - start
}

func (d *jsonDecoder) want(lit string) error {
	if !d.literal(lit) {
		return d.syntax("invalid literal")
	}
	return nil
}

func (d *jsonDecoder) literal(lit string) bool {
	if len(d.b)-d.i >= len(lit) && string(d.b[d.i:d.i+len(lit)]) == lit {
		d.i += len(lit)
		return true
	}
	return false
}

func (d *jsonDecoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jsonDecoder) peek() byte {
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

func (d *jsonDecoder) next() byte {
	if d.i < len(d.b) {
		d.i++
		return d.b[d.i-1]
	}
	return 0
}

func (d *jsonDecoder) consume(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *jsonDecoder) end() error {
	d.ws()
	if d.i != len(d.b) {
		return d.syntax("trailing data after header")
	}
	return nil
}

func (d *jsonDecoder) syntax(msg string) error {
	return fmt.Errorf("%w: JSON header: %s at offset %d", ErrMalformed, msg, d.i)
}
