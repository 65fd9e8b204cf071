package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/rocketkit/rocketkit/admin"
)

// Bounds of every query, so that no request lists a whole topic.
const (
	defaultPage = 20
	maxPage     = 100
	maxBody     = 4 << 20 // largest JSON request body
)

// writeJSON answers v as JSON.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers err as {"error": "..."} with a status for its kind:
// 400 bad input, 403 refused, 404 not found, 501 not enabled, else 502
// (the cluster failed).
func writeError(w http.ResponseWriter, err error) {
	status := http.StatusBadGateway
	switch {
	case errors.Is(err, ErrBadRequest):
		status = http.StatusBadRequest
	case errors.Is(err, ErrForbidden):
		status = http.StatusForbidden
	case errors.Is(err, admin.ErrTopicNotFound), errors.Is(err, admin.ErrNotFound), errors.Is(err, admin.ErrGroupOffline):
		status = http.StatusNotFound
	case errors.Is(err, ErrNoSender):
		status = http.StatusNotImplemented
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}

// fail logs err (at debug: the pages show it) and answers it.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	c.log.Debug("console: request failed", "path", r.URL.Path, "err", err)
	writeError(w, err)
}

// required returns query parameter name, ErrBadRequest when empty.
func required(r *http.Request, name string) (string, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return "", fmt.Errorf("%w: %s is required", ErrBadRequest, name)
	}
	return v, nil
}

// pageOf reads offset and limit (default defaultPage, at most maxPage).
func pageOf(r *http.Request) (offset, limit int, err error) {
	q := r.URL.Query()
	limit = defaultPage
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit <= 0 {
			return 0, 0, fmt.Errorf("%w: limit %q is not a positive number", ErrBadRequest, s)
		}
	}
	if s := q.Get("offset"); s != "" {
		if offset, err = strconv.Atoi(s); err != nil || offset < 0 {
			return 0, 0, fmt.Errorf("%w: offset %q is not a number >= 0", ErrBadRequest, s)
		}
	}
	return offset, min(limit, maxPage), nil
}

// paginate returns items[offset:offset+limit], clamped.
func paginate[T any](items []T, offset, limit int) []T {
	if offset >= len(items) {
		return []T{}
	}
	return items[offset:min(len(items), offset+limit)]
}

// parseTime reads a time as RFC 3339, "2006-01-02T15:04" (a browser's
// datetime-local, in the server's zone) or Unix milliseconds; "" is zero.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: time %q is not RFC 3339, YYYY-MM-DDTHH:MM or Unix milliseconds", ErrBadRequest, s)
}

// decodeBody decodes a JSON request body into v, refusing unknown fields
// and bodies over maxBody.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: body: %w", ErrBadRequest, err)
	}
	return nil
}

// zeroTime is an unbounded end of a time range.
var zeroTime time.Time
