package official

import (
	"log/slog"

	"github.com/rocketkit/rocketkit/internal/clientlog"
)

// routeClientLog sends the official client's records to l (nil discards
// them) from now on; safe while clients run (see package clientlog).
func routeClientLog(l *slog.Logger) { clientlog.Route(l) }
