package remotewrite

import (
	"fmt"
	"math"

	"github.com/klauspost/compress/snappy"
	"google.golang.org/protobuf/encoding/protowire"
)

// Series is one TimeSeries of a request, with its one sample.
type Series struct {
	Name      string
	Labels    map[string]string // without __name__
	Order     []string          // label names in wire order, __name__ included
	Value     float64
	Timestamp int64
}

// Decode reads a snappy-compressed WriteRequest.
func Decode(body []byte) ([]Series, error) {
	raw, err := snappy.Decode(nil, body)
	if err != nil {
		return nil, fmt.Errorf("snappy: %w", err)
	}
	var out []Series
	err = eachField(raw, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num != 1 || typ != protowire.BytesType {
			return fmt.Errorf("WriteRequest: unexpected field %d type %d", num, typ)
		}
		s := Series{Labels: map[string]string{}}
		nSamples := 0
		err := eachField(v, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
			switch {
			case num == 1 && typ == protowire.BytesType:
				var name, value string
				err := eachField(v, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
					if typ != protowire.BytesType || (num != 1 && num != 2) {
						return fmt.Errorf("Label: unexpected field %d type %d", num, typ)
					}
					if num == 1 {
						name = string(v)
					} else {
						value = string(v)
					}
					return nil
				})
				if err != nil {
					return err
				}
				s.Order = append(s.Order, name)
				if name == "__name__" {
					s.Name = value
				} else {
					s.Labels[name] = value
				}
			case num == 2 && typ == protowire.BytesType:
				nSamples++
				return eachField(v, func(num protowire.Number, typ protowire.Type, _ []byte, x uint64) error {
					switch {
					case num == 1 && typ == protowire.Fixed64Type:
						s.Value = math.Float64frombits(x)
					case num == 2 && typ == protowire.VarintType:
						s.Timestamp = int64(x)
					default:
						return fmt.Errorf("Sample: unexpected field %d type %d", num, typ)
					}
					return nil
				})
			default:
				return fmt.Errorf("TimeSeries: unexpected field %d type %d", num, typ)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if nSamples != 1 {
			return fmt.Errorf("series %s has %d samples", s.Name, nSamples)
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

// eachField calls f for every field of a message: v for bytes fields, x
// for varint and fixed64 ones.
func eachField(b []byte, f func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b)
		default:
			return fmt.Errorf("unexpected wire type %d", typ)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := f(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}
