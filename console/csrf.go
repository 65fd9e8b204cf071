package console

import (
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// tokenHeader carries the session's CSRF token on state-changing calls.
const tokenHeader = "X-Console-Token"

// checkCSRF accepts a state-changing request only with the session token
// in tokenHeader, a JSON body (a cross-site form cannot send one without
// a CORS preflight, which the console never answers), and, when the
// browser names them, an Origin equal to the console's own and a
// Sec-Fetch-Site of same-origin.
func (c *Console) checkCSRF(r *http.Request) error {
	got := r.Header.Get(tokenHeader)
	if subtle.ConstantTimeCompare([]byte(got), []byte(c.token)) != 1 {
		return fmt.Errorf("%w: missing or wrong %s", ErrForbidden, tokenHeader)
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return fmt.Errorf("%w: cross-site request (%s)", ErrForbidden, site)
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || !strings.EqualFold(u.Host, r.Host) {
			return fmt.Errorf("%w: origin %q is not this console's", ErrForbidden, origin)
		}
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("%w: content type must be application/json", ErrBadRequest)
	}
	return nil
}

// hostAllowed reports whether a Host header names the console by an IP
// literal, localhost or an allowed name: a page of another site whose
// name was re-pointed at a loopback address (DNS rebinding) sends its own
// name and is refused.
func (c *Console) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	return slices.ContainsFunc(c.cfg.AllowedHosts, func(a string) bool { return strings.EqualFold(a, host) })
}
