package report

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
)

// The page's assets, inlined into every page so that a report opens
// without a network: uPlot (MIT, see assets/uPlot.LICENSE) draws the
// charts, report.js and report.css are throng's.
//
//go:embed assets/uPlot.iife.min.js assets/uPlot.min.css assets/uPlot.LICENSE assets/report.js assets/report.css assets/page.html
var assets embed.FS

// UPlotVersion is the vendored uPlot's version, from npm (npm pack uplot).
const UPlotVersion = "1.6.32"

var page = template.Must(template.New("page.html").ParseFS(assets, "assets/page.html"))

// pageAssets are read once: every page carries them verbatim.
var pageAssets = struct {
	UPlot    template.JS
	UPlotCSS template.CSS
	App      template.JS
	CSS      template.CSS
}{
	// MIT asks for its notice in every copy: each report is one.
	UPlot:    template.JS("/*! uPlot " + UPlotVersion + ", " + mustRead("assets/uPlot.LICENSE") + " */\n" + mustRead("assets/uPlot.iife.min.js")),
	UPlotCSS: template.CSS(mustRead("assets/uPlot.min.css")),
	App:      template.JS(mustRead("assets/report.js")),
	CSS:      template.CSS(mustRead("assets/report.css")),
}

func mustRead(name string) string {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(err) // embedded: cannot happen once the package builds
	}
	return string(b)
}

// Render writes d as one self-contained HTML page: the report when d is
// not live, the dashboard's page when it is. Nothing in it points at the
// network.
func Render(w io.Writer, d Data) error {
	// encoding/json escapes <, > and & inside strings, so no value (a
	// script name, an error text) can close the script element.
	raw, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	var b bytes.Buffer
	err = page.Execute(&b, struct {
		Title  string
		Data   template.JS
		Assets any
	}{d.Meta.Title, template.JS(raw), pageAssets})
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err = w.Write(b.Bytes())
	return err
}
