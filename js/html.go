package js

import (
	"strconv"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"github.com/dop251/goja"
	"golang.org/x/net/html"
)

// htmlModule is `k6/html`: parseHTML(src) returns a jQuery-like Selection
// backed by goquery, as k6's is.
func htmlModule(vu *VU) map[string]any {
	return map[string]any{
		"parseHTML": func(c goja.FunctionCall) goja.Value {
			return vu.parseHTML(c.Argument(0).String())
		},
	}
}

// htmlMethod is res.html(selector?) for k6/http responses: the body parsed
// as a document (once per response), narrowed to selector when one is
// given. http.go serves it as the response's "html" property.
func (vu *VU) htmlMethod(body []byte) func(goja.FunctionCall) goja.Value {
	var doc *goquery.Selection
	return func(c goja.FunctionCall) goja.Value {
		if doc == nil {
			doc = parseDocument(string(body))
		}
		if sel := c.Argument(0); present(sel) {
			return vu.selection(doc.Find(sel.String()))
		}
		return vu.selection(doc)
	}
}

func (vu *VU) parseHTML(src string) goja.Value {
	return vu.selection(parseDocument(src))
}

// parseDocument never fails: the HTML5 parser, like a browser, makes a
// document of any input.
func parseDocument(src string) *goquery.Selection {
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(src))
	if err != nil {
		return &goquery.Selection{}
	}
	return doc.Selection
}

// htmlStateKey keeps a VU's htmlState on its global object, where scripts
// do not look, so that Selection and Element prototypes (and their
// function objects) are made once per VU rather than once per object.
var htmlStateKey = goja.NewSymbol("throng.html")

type htmlState struct {
	selectionProto, elementProto *goja.Object
}

func (vu *VU) htmlState() *htmlState {
	global := vu.rt.GlobalObject()
	if v := global.GetSymbol(htmlStateKey); v != nil {
		if st, ok := v.Export().(*htmlState); ok {
			return st
		}
	}
	st := &htmlState{
		selectionProto: vu.methodsObject(selectionMethods()),
		elementProto:   vu.methodsObject(elementMethods()),
	}
	_ = global.DefineDataPropertySymbol(htmlStateKey, vu.rt.ToValue(st), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	return st
}

// methodsObject builds a prototype whose functions find their Go receiver
// in `this`.
func (vu *VU) methodsObject(methods map[string]func(vu *VU, this any, c goja.FunctionCall) goja.Value) *goja.Object {
	proto := vu.rt.NewObject()
	for name, m := range methods {
		_ = proto.Set(name, func(c goja.FunctionCall) goja.Value {
			var this any
			if obj, ok := c.This.(*goja.Object); ok {
				this = obj.Export()
			}
			return m(vu, this, c)
		})
	}
	return proto
}

// selectionObject is a Selection as JS sees it: `length` and indexes are
// its own properties, its methods come from the VU's prototype.
type selectionObject struct {
	vu  *VU
	sel *goquery.Selection
}

func (vu *VU) selection(sel *goquery.Selection) goja.Value {
	obj := vu.rt.NewDynamicObject(&selectionObject{vu: vu, sel: sel})
	_ = obj.SetPrototype(vu.htmlState().selectionProto)
	return obj
}

func (s *selectionObject) Get(key string) goja.Value {
	if key == "length" {
		return s.vu.rt.ToValue(s.sel.Length())
	}
	if i, err := strconv.Atoi(key); err == nil && i >= 0 && i < s.sel.Length() {
		return s.vu.element(s.sel.Get(i))
	}
	return nil
}
func (s *selectionObject) Set(string, goja.Value) bool { return false }
func (s *selectionObject) Has(key string) bool         { return key == "length" }
func (s *selectionObject) Delete(string) bool          { return false }
func (s *selectionObject) Keys() []string              { return nil }

// selectionOf is the Go selection behind this, or a throw.
func selectionOf(vu *VU, this any) *goquery.Selection {
	s, ok := this.(*selectionObject)
	if !ok {
		vu.throw("a Selection method was called on something that is not a Selection")
	}
	return s.sel
}

type htmlFunc = func(vu *VU, this any, c goja.FunctionCall) goja.Value

// traversal makes the many methods that take an optional selector.
func traversal(all func(*goquery.Selection) *goquery.Selection, filtered func(*goquery.Selection, string) *goquery.Selection) htmlFunc {
	return func(vu *VU, this any, c goja.FunctionCall) goja.Value {
		sel := selectionOf(vu, this)
		if f := c.Argument(0); present(f) {
			return vu.selection(filtered(sel, f.String()))
		}
		return vu.selection(all(sel))
	}
}

func plain(f func(*goquery.Selection) *goquery.Selection) htmlFunc {
	return func(vu *VU, this any, _ goja.FunctionCall) goja.Value {
		return vu.selection(f(selectionOf(vu, this)))
	}
}

// selectionMethods are k6's Selection methods (those of jQuery that k6
// has, minus serialize*). A function, not a variable: the methods make
// selections, whose prototype is built from this table.
func selectionMethods() map[string]htmlFunc {
	return map[string]htmlFunc{
		"find": func(vu *VU, this any, c goja.FunctionCall) goja.Value {
			return vu.selection(selectionOf(vu, this).Find(c.Argument(0).String()))
		},
		"text": func(vu *VU, this any, _ goja.FunctionCall) goja.Value {
			return vu.rt.ToValue(selectionOf(vu, this).Text())
		},
		"html": func(vu *VU, this any, _ goja.FunctionCall) goja.Value {
			sel := selectionOf(vu, this)
			if sel.Length() == 0 {
				return goja.Undefined()
			}
			s, err := sel.Html()
			if err != nil {
				vu.throw("html(): %v", err)
			}
			return vu.rt.ToValue(s)
		},
		"attr": func(vu *VU, this any, c goja.FunctionCall) goja.Value {
			if v, ok := selectionOf(vu, this).Attr(c.Argument(0).String()); ok {
				return vu.rt.ToValue(v)
			}
			return c.Argument(1) // the default, or undefined
		},
		"val": func(vu *VU, this any, _ goja.FunctionCall) goja.Value {
			sel := selectionOf(vu, this)
			if sel.Length() == 0 {
				return goja.Undefined()
			}
			return vu.rt.ToValue(formValue(sel.First()))
		},
		"data": func(vu *VU, this any, c goja.FunctionCall) goja.Value {
			return vu.dataAttributes(selectionOf(vu, this), c.Argument(0))
		},
		"hasClass": func(vu *VU, this any, c goja.FunctionCall) goja.Value {
			return vu.rt.ToValue(selectionOf(vu, this).HasClass(c.Argument(0).String()))
		},
		"size": func(vu *VU, this any, _ goja.FunctionCall) goja.Value {
			return vu.rt.ToValue(selectionOf(vu, this).Length())
		},
		"first": plain((*goquery.Selection).First),
		"last":  plain((*goquery.Selection).Last),
		"eq": func(vu *VU, this any, c goja.FunctionCall) goja.Value {
			return vu.selection(selectionOf(vu, this).Eq(int(c.Argument(0).ToInteger())))
		},
		"slice": func(vu *VU, this any, c goja.FunctionCall) goja.Value {
			sel := selectionOf(vu, this)
			start, end := int(c.Argument(0).ToInteger()), sel.Length()
			if present(c.Argument(1)) {
				end = int(c.Argument(1).ToInteger())
			}
			start, end = clampRange(start, sel.Length()), clampRange(end, sel.Length())
			if start > end {
				start = end
			}
			return vu.selection(sel.Slice(start, end))
		},
		"children": traversal((*goquery.Selection).Children, (*goquery.Selection).ChildrenFiltered),
		"contents": plain((*goquery.Selection).Contents),
		"parent":   traversal((*goquery.Selection).Parent, (*goquery.Selection).ParentFiltered),
		"parents":  traversal((*goquery.Selection).Parents, (*goquery.Selection).ParentsFiltered),
		"siblings": traversal((*goquery.Selection).Siblings, (*goquery.Selection).SiblingsFiltered),
		"next":     traversal((*goquery.Selection).Next, (*goquery.Selection).NextFiltered),
		"nextAll":  traversal((*goquery.Selection).NextAll, (*goquery.Selection).NextAllFiltered),
		"prev":     traversal((*goquery.Selection).Prev, (*goquery.Selection).PrevFiltered),
		"prevAll":  traversal((*goquery.Selection).PrevAll, (*goquery.Selection).PrevAllFiltered),
		"closest": func(vu *VU, this any, c goja.FunctionCall) goja.Value {
			return vu.selection(selectionOf(vu, this).Closest(c.Argument(0).String()))
		},
		"has": func(vu *VU, this any, c goja.FunctionCall) goja.Value {
			return vu.selection(selectionOf(vu, this).Has(c.Argument(0).String()))
		},
		"filter": func(vu *VU, this any, c goja.FunctionCall) goja.Value {
			sel := selectionOf(vu, this)
			if fn, ok := goja.AssertFunction(c.Argument(0)); ok {
				return vu.selection(sel.FilterFunction(vu.selectionPredicate(fn)))
			}
			return vu.selection(sel.Filter(c.Argument(0).String()))
		},
		"not": func(vu *VU, this any, c goja.FunctionCall) goja.Value {
			sel := selectionOf(vu, this)
			if fn, ok := goja.AssertFunction(c.Argument(0)); ok {
				return vu.selection(sel.NotFunction(vu.selectionPredicate(fn)))
			}
			return vu.selection(sel.Not(c.Argument(0).String()))
		},
		"is": func(vu *VU, this any, c goja.FunctionCall) goja.Value {
			sel := selectionOf(vu, this)
			if fn, ok := goja.AssertFunction(c.Argument(0)); ok {
				return vu.rt.ToValue(sel.IsFunction(vu.selectionPredicate(fn)))
			}
			return vu.rt.ToValue(sel.Is(c.Argument(0).String()))
		},
		"index": func(vu *VU, this any, c goja.FunctionCall) goja.Value {
			sel := selectionOf(vu, this)
			if f := c.Argument(0); present(f) {
				return vu.rt.ToValue(sel.IndexSelector(f.String()))
			}
			return vu.rt.ToValue(sel.Index())
		},
		// each calls fn(index, element) for every element, as k6 does (an
		// Element, not a Selection); it returns the selection.
		"each": func(vu *VU, this any, c goja.FunctionCall) goja.Value {
			sel := selectionOf(vu, this)
			fn := vu.callback("each", c.Argument(0))
			for i, n := range sel.Nodes {
				if _, err := fn(goja.Undefined(), vu.rt.ToValue(i), vu.element(n)); err != nil {
					panic(err)
				}
			}
			return c.This
		},
		// map calls fn(index, selection) and returns the results as an array;
		// null and undefined results are left out, as in jQuery.
		"map": func(vu *VU, this any, c goja.FunctionCall) goja.Value {
			sel := selectionOf(vu, this)
			fn := vu.callback("map", c.Argument(0))
			out := make([]any, 0, sel.Length())
			for i := range sel.Nodes {
				v, err := fn(goja.Undefined(), vu.rt.ToValue(i), vu.selection(sel.Eq(i)))
				if err != nil {
					panic(err)
				}
				if present(v) {
					out = append(out, v)
				}
			}
			return vu.rt.NewArray(out...)
		},
		// get(i) is the i-th Element (negative counts from the end), get() all
		// of them in an array.
		"get": func(vu *VU, this any, c goja.FunctionCall) goja.Value {
			sel := selectionOf(vu, this)
			if !present(c.Argument(0)) {
				out := make([]any, len(sel.Nodes))
				for i, n := range sel.Nodes {
					out[i] = vu.element(n)
				}
				return vu.rt.NewArray(out...)
			}
			i := int(c.Argument(0).ToInteger())
			if i < 0 {
				i += len(sel.Nodes)
			}
			if i < 0 || i >= len(sel.Nodes) {
				return goja.Undefined()
			}
			return vu.element(sel.Nodes[i])
		},
		"toArray": func(vu *VU, this any, _ goja.FunctionCall) goja.Value {
			sel := selectionOf(vu, this)
			out := make([]any, len(sel.Nodes))
			for i := range sel.Nodes {
				out[i] = vu.selection(sel.Eq(i))
			}
			return vu.rt.NewArray(out...)
		},
	}
}

func clampRange(i, n int) int {
	if i < 0 {
		i += n
	}
	return max(0, min(i, n))
}

func (vu *VU) callback(method string, v goja.Value) goja.Callable {
	fn, ok := goja.AssertFunction(v)
	if !ok {
		vu.throw("%s() needs a function", method)
	}
	return fn
}

// selectionPredicate adapts fn(index, selection) to goquery; exceptions
// propagate.
func (vu *VU) selectionPredicate(fn goja.Callable) func(int, *goquery.Selection) bool {
	return func(i int, s *goquery.Selection) bool {
		v, err := fn(goja.Undefined(), vu.rt.ToValue(i), vu.selection(s))
		if err != nil {
			panic(err)
		}
		return v.ToBoolean()
	}
}

// formValue is jQuery's val() of one element: a select's selected option,
// a textarea's text, an input's value attribute.
func formValue(sel *goquery.Selection) string {
	switch goquery.NodeName(sel) {
	case "select":
		opt := sel.Find("option[selected]").First()
		if opt.Length() == 0 {
			opt = sel.Find("option").First()
		}
		return formValue(opt)
	case "option":
		if v, ok := sel.Attr("value"); ok {
			return v
		}
		return sel.Text()
	case "textarea":
		return sel.Text()
	}
	return sel.AttrOr("value", "")
}

// dataAttributes is data(key?): the data-* attributes of the first
// element, by camelCase key, with numbers and booleans converted as
// jQuery does.
func (vu *VU) dataAttributes(sel *goquery.Selection, key goja.Value) goja.Value {
	if sel.Length() == 0 {
		return goja.Undefined()
	}
	all := vu.rt.NewObject()
	for _, a := range sel.Nodes[0].Attr {
		if name, ok := strings.CutPrefix(a.Key, "data-"); ok {
			_ = all.Set(camelCase(name), dataValue(a.Val))
		}
	}
	if !present(key) {
		return all
	}
	if v := all.Get(key.String()); v != nil {
		return v
	}
	return goja.Undefined()
}

func camelCase(kebab string) string {
	parts := strings.Split(kebab, "-")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

func dataValue(s string) any {
	switch s {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && strconv.FormatFloat(f, 'f', -1, 64) == s {
		return f
	}
	return s
}

// elementObject is an Element: one DOM node, with DOM-like methods.
type elementObject struct {
	vu   *VU
	node *html.Node
}

func (vu *VU) element(n *html.Node) goja.Value {
	if n == nil {
		return goja.Undefined()
	}
	obj := vu.rt.NewDynamicObject(&elementObject{vu: vu, node: n})
	_ = obj.SetPrototype(vu.htmlState().elementProto)
	return obj
}

func (e *elementObject) Get(string) goja.Value       { return nil }
func (e *elementObject) Set(string, goja.Value) bool { return false }
func (e *elementObject) Has(string) bool             { return false }
func (e *elementObject) Delete(string) bool          { return false }
func (e *elementObject) Keys() []string              { return nil }
func (e *elementObject) selection() *goquery.Selection {
	return goquery.NewDocumentFromNode(e.node).Selection
}

func nodeOf(vu *VU, this any) *elementObject {
	e, ok := this.(*elementObject)
	if !ok {
		vu.throw("an Element method was called on something that is not an Element")
	}
	return e
}

// elementGetter makes a method that returns a value computed from the node.
func elementGetter(f func(vu *VU, e *elementObject) any) htmlFunc {
	return func(vu *VU, this any, _ goja.FunctionCall) goja.Value {
		return vu.rt.ToValue(f(vu, nodeOf(vu, this)))
	}
}

// relative makes a method returning a related node as an Element
// (undefined when there is none).
func relative(f func(*html.Node) *html.Node) htmlFunc {
	return func(vu *VU, this any, _ goja.FunctionCall) goja.Value {
		return vu.element(f(nodeOf(vu, this).node))
	}
}

func elementSibling(n *html.Node, next func(*html.Node) *html.Node) *html.Node {
	for n = next(n); n != nil && n.Type != html.ElementNode; n = next(n) {
	}
	return n
}

// elementMethods are k6's Element methods, as functions (el.nodeName()).
func elementMethods() map[string]htmlFunc {
	return map[string]htmlFunc{
		"nodeName": elementGetter(func(_ *VU, e *elementObject) any { return goquery.NodeName(e.selection()) }),
		"nodeType": elementGetter(func(_ *VU, e *elementObject) any { return nodeType(e.node) }),
		"nodeValue": elementGetter(func(_ *VU, e *elementObject) any {
			if e.node.Type == html.TextNode || e.node.Type == html.CommentNode {
				return e.node.Data
			}
			return nil
		}),
		"id":        elementGetter(func(_ *VU, e *elementObject) any { return e.selection().AttrOr("id", "") }),
		"className": elementGetter(func(_ *VU, e *elementObject) any { return e.selection().AttrOr("class", "") }),
		"lang":      elementGetter(func(_ *VU, e *elementObject) any { return e.selection().AttrOr("lang", "") }),
		"classList": elementGetter(func(_ *VU, e *elementObject) any {
			return strings.Fields(e.selection().AttrOr("class", ""))
		}),
		"textContent": elementGetter(func(_ *VU, e *elementObject) any { return e.selection().Text() }),
		"innerHTML": elementGetter(func(_ *VU, e *elementObject) any {
			s, _ := e.selection().Html()
			return s
		}),
		"toString": elementGetter(func(_ *VU, e *elementObject) any {
			s, _ := goquery.OuterHtml(e.selection())
			return s
		}),
		"getAttribute": func(vu *VU, this any, c goja.FunctionCall) goja.Value {
			if v, ok := nodeOf(vu, this).selection().Attr(c.Argument(0).String()); ok {
				return vu.rt.ToValue(v)
			}
			return goja.Undefined()
		},
		"hasAttribute": func(vu *VU, this any, c goja.FunctionCall) goja.Value {
			_, ok := nodeOf(vu, this).selection().Attr(c.Argument(0).String())
			return vu.rt.ToValue(ok)
		},
		"hasAttributes":     elementGetter(func(_ *VU, e *elementObject) any { return len(e.node.Attr) > 0 }),
		"hasChildNodes":     elementGetter(func(_ *VU, e *elementObject) any { return e.node.FirstChild != nil }),
		"childElementCount": elementGetter(func(_ *VU, e *elementObject) any { return e.selection().Children().Length() }),
		// attributes() maps each attribute's name to {name, value}.
		"attributes": func(vu *VU, this any, _ goja.FunctionCall) goja.Value {
			out := vu.rt.NewObject()
			for _, a := range nodeOf(vu, this).node.Attr {
				attr := vu.rt.NewObject()
				_ = attr.Set("name", a.Key)
				_ = attr.Set("value", a.Val)
				_ = out.Set(a.Key, attr)
			}
			return out
		},
		"firstChild":  relative(func(n *html.Node) *html.Node { return n.FirstChild }),
		"lastChild":   relative(func(n *html.Node) *html.Node { return n.LastChild }),
		"parentNode":  relative(func(n *html.Node) *html.Node { return n.Parent }),
		"nextSibling": relative(func(n *html.Node) *html.Node { return n.NextSibling }),
		"previousSibling": relative(func(n *html.Node) *html.Node {
			return n.PrevSibling
		}),
		"parentElement": relative(func(n *html.Node) *html.Node {
			if n.Parent != nil && n.Parent.Type == html.ElementNode {
				return n.Parent
			}
			return nil
		}),
		"nextElementSibling": relative(func(n *html.Node) *html.Node {
			return elementSibling(n, func(n *html.Node) *html.Node { return n.NextSibling })
		}),
		"previousElementSibling": relative(func(n *html.Node) *html.Node {
			return elementSibling(n, func(n *html.Node) *html.Node { return n.PrevSibling })
		}),
		"firstElementChild": relative(func(n *html.Node) *html.Node {
			if n.FirstChild == nil || n.FirstChild.Type == html.ElementNode {
				return n.FirstChild
			}
			return elementSibling(n.FirstChild, func(n *html.Node) *html.Node { return n.NextSibling })
		}),
		"lastElementChild": relative(func(n *html.Node) *html.Node {
			if n.LastChild == nil || n.LastChild.Type == html.ElementNode {
				return n.LastChild
			}
			return elementSibling(n.LastChild, func(n *html.Node) *html.Node { return n.PrevSibling })
		}),
		"children": func(vu *VU, this any, _ goja.FunctionCall) goja.Value {
			return vu.elements(nodeOf(vu, this).selection().Children().Nodes)
		},
		"childNodes": func(vu *VU, this any, _ goja.FunctionCall) goja.Value {
			return vu.elements(nodeOf(vu, this).selection().Contents().Nodes)
		},
		"querySelector": func(vu *VU, this any, c goja.FunctionCall) goja.Value {
			found := nodeOf(vu, this).selection().Find(c.Argument(0).String())
			if found.Length() == 0 {
				return goja.Null()
			}
			return vu.element(found.Nodes[0])
		},
		"querySelectorAll": func(vu *VU, this any, c goja.FunctionCall) goja.Value {
			return vu.elements(nodeOf(vu, this).selection().Find(c.Argument(0).String()).Nodes)
		},
		"getElementsByTagName": func(vu *VU, this any, c goja.FunctionCall) goja.Value {
			return vu.elements(nodeOf(vu, this).selection().Find(c.Argument(0).String()).Nodes)
		},
		"getElementsByClassName": func(vu *VU, this any, c goja.FunctionCall) goja.Value {
			classes := strings.Fields(c.Argument(0).String())
			return vu.elements(nodeOf(vu, this).selection().Find("." + strings.Join(classes, ".")).Nodes)
		},
		"matches": func(vu *VU, this any, c goja.FunctionCall) goja.Value {
			return vu.rt.ToValue(nodeOf(vu, this).selection().Is(c.Argument(0).String()))
		},
		"isSameNode": func(vu *VU, this any, c goja.FunctionCall) goja.Value {
			other, ok := exportOf(c.Argument(0)).(*elementObject)
			return vu.rt.ToValue(ok && other.node == nodeOf(vu, this).node)
		},
		// selection() is the element as a one-element Selection.
		"selection": func(vu *VU, this any, _ goja.FunctionCall) goja.Value {
			return vu.selection(nodeOf(vu, this).selection())
		},
	}
}

func (vu *VU) elements(nodes []*html.Node) goja.Value {
	out := make([]any, len(nodes))
	for i, n := range nodes {
		out[i] = vu.element(n)
	}
	return vu.rt.NewArray(out...)
}

// nodeType is the DOM's number for the node's type.
func nodeType(n *html.Node) int {
	switch n.Type {
	case html.ElementNode:
		return 1
	case html.TextNode:
		return 3
	case html.CommentNode:
		return 8
	case html.DocumentNode:
		return 9
	case html.DoctypeNode:
		return 10
	}
	return 0
}
