package console

import "embed"

// assets are the pages: plain HTML, CSS and JavaScript, no build step and
// nothing fetched from elsewhere.
//
//go:embed assets
var assets embed.FS
