package js

import (
	"errors"
	"strings"
	"testing"

	"github.com/throng-dev/throng/metrics"
)

// TestTypeScriptScript: a .ts script and its .ts imports have their types
// stripped, type-only imports of k6's type packages vanish, and a runtime
// error names the .ts file, line and column.
func TestTypeScriptScript(t *testing.T) {
	h := newHarnessFiles(t, map[string]string{
		"script.ts": `import { Options } from 'k6/options';
import { Counter } from 'k6/metrics';
import { total, Order } from './lib';

interface Line { sku: string; qty: number }

const orders = new Counter('orders');

export const options: Options = { vus: 2, iterations: 4 };

export default function (): void {
  const lines: Line[] = [{ sku: 'a', qty: 2 }, { sku: 'b', qty: 3 }];
  const order: Order = { id: __ITER, lines };
  orders.add(total(order));
  if (__ITER === 1) {
    const missing = undefined as unknown as { field: string };
    missing.field.length;
  }
}
`,
		"lib.ts": `export type Order = { id: number; lines: { qty: number }[] };
export function total(o: Order): number {
  return o.lines.reduce((n: number, l) => n + l.qty, 0);
}
`,
	}, "script.ts", nil)
	raw, err := h.bundle.Options()
	if err != nil || string(raw) != `{"iterations":4,"vus":2}` {
		t.Fatalf("options = %s, %v", raw, err)
	}
	h.iterate(h.vu(1), 2)
	h.bundle.cfg.Log.Close()
	s := h.snapshot()
	if c := sinkOf[*metrics.CounterSink](t, s, "orders"); c.Sum != 10 {
		t.Errorf("orders = %v, want 10 (2+3 in each iteration, the second adding before it throws)", c.Sum)
	}
	if log := h.log.String(); !strings.Contains(log, "script.ts:17:12:") || !strings.Contains(log, "TypeError") {
		t.Errorf("the runtime error should name script.ts:17:12 %q", log)
	}
}

func TestTypeScriptSyntaxErrorNamesTheTSFile(t *testing.T) {
	_, err := load(t, map[string]string{"bad.ts": "const n: number = 1;\nlet x: = 2;\nexport default function () {}\n"}, "bad.ts")
	var se *ScriptError
	if !errors.As(err, &se) || !strings.HasSuffix(se.File, "bad.ts") || se.Line != 2 {
		t.Fatalf("err = %v, want it at bad.ts:2", err)
	}
}
