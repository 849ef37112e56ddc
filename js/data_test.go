package js

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/throng-dev/throng/metrics"
)

func TestSharedArrayReadsAndIsReadOnly(t *testing.T) {
	expectAllPass(t, `
import { SharedArray } from 'k6/data';
import { check } from 'k6';
const users = new SharedArray('users', function () {
  return [{ name: 'ann', roles: ['a'] }, { name: 'bob', roles: [] }, 'plain', 42, true, null];
});
export default function () {
  check(users, {
    'length': (u) => u.length === 6,
    'index': (u) => u[0].name === 'ann' && u[1].name === 'bob' && u[0].roles[0] === 'a',
    'primitives': (u) => u[2] === 'plain' && u[3] === 42 && u[4] === true && u[5] === null,
    'out of range': (u) => u[6] === undefined && u[-1] === undefined,
    'for of': (u) => { let n = 0; for (const x of u) n++; return n === 6; },
    'forEach map filter': (u) => {
      let seen = 0; u.forEach(() => seen++);
      return seen === 6 && u.map((x) => typeof x).join() === 'object,object,string,number,boolean,object' &&
        u.filter((x) => x && x.name).length === 2;
    },
    'slice and Array.from': (u) => u.slice(1, 3).length === 2 && Array.from(u).length === 6,
    'element write throws': (u) => { try { u[0] = 1; return false; } catch (e) { return e instanceof TypeError && String(e).includes('immutable'); } },
    'push throws': (u) => { try { u.push(1); return false; } catch (e) { return e instanceof TypeError; } },
    'elements are frozen': (u) => { 'use strict'; try { u[0].name = 'x'; } catch (e) {} try { u[0].roles.push('b'); } catch (e) {} return u[0].name === 'ann' && u[0].roles.length === 1 && Object.isFrozen(u[0]); },
  });
}`, 10)
}

// TestSharedArrayIsBuiltOnceForAllVUs makes VUs concurrently: the
// function runs once, in one of them, and every VU reads the same stored
// copy.
func TestSharedArrayIsBuiltOnceForAllVUs(t *testing.T) {
	h := newHarness(t, `
import { SharedArray } from 'k6/data';
import { check } from 'k6';
const data = new SharedArray('rows', function () {
  console.log('building rows');
  const rows = [];
  for (let i = 0; i < 1000; i++) rows.push({ id: i, label: 'row ' + i });
  return rows;
});
const again = new SharedArray('rows', function () { throw new Error('a second build'); });
export default function () {
  check(data, { 'row 999': (d) => d.length === 1000 && d[999].label === 'row 999' && again[5].id === 5 });
}`, nil)
	h.engine.Start()
	h.started = true
	var wg sync.WaitGroup
	vus := make([]*VU, 8)
	for i := range vus {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vu, err := h.bundle.NewVU(context.Background(), uint64(i+1))
			if err != nil {
				t.Errorf("NewVU: %v", err)
				return
			}
			vus[i] = vu
		}()
	}
	wg.Wait()
	for _, vu := range vus {
		if vu == nil {
			t.FailNow()
		}
		h.iterate(vu, 1)
	}
	s := h.snapshot()
	if n := strings.Count(h.log.String(), "building rows"); n != 1 {
		t.Errorf("the function ran %d times, want once:\n%s", n, h.log.String())
	}
	if c := sinkOf[*metrics.RateSink](t, s, "checks"); c.Total != 8 || c.Trues != 8 {
		t.Errorf("checks %d/%d, want 8/8; log:\n%s", c.Trues, c.Total, h.log.String())
	}
	sa := h.bundle.shared.byName["rows"]
	if sa == nil || len(sa.ends) != 1000 || len(h.bundle.shared.byName) != 1 {
		t.Fatalf("the bundle holds %v", h.bundle.shared.byName)
	}
	if !strings.HasPrefix(string(sa.element(999)), `{"id":999,`) {
		t.Errorf("element 999 stored as %s", sa.element(999))
	}
}

func TestSharedArrayErrors(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"outside init", `import { SharedArray } from 'k6/data';
export default function () { new SharedArray('x', () => []); }`, "init context"},
		{"not an array", `import { SharedArray } from 'k6/data';
const d = new SharedArray('x', () => ({ a: 1 }));
export default function () {}`, "must return an array"},
		{"no function", `import { SharedArray } from 'k6/data';
const d = new SharedArray('x');
export default function () {}`, "must be a function"},
		{"function throws", `import { SharedArray } from 'k6/data';
const d = new SharedArray('x', () => {
  throw new Error('no data file');
});
export default function () {}`, "script.js:3:"},
		{"asks for itself", `import { SharedArray } from 'k6/data';
const d = new SharedArray('x', () => { new SharedArray('x', () => []); return []; });
export default function () {}`, "inside its own function"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, c.src, nil)
			h.started = true
			h.engine.Start()
			vu, err := h.bundle.NewVU(context.Background(), 1)
			if err == nil {
				vu.Iterate(context.Background(), testIteration)
				h.bundle.cfg.Log.Close()
				err = errorString(h.log.String())
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }
