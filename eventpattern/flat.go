package eventpattern

import (
	"hash/maphash"
	"math/bits"
	"slices"
	"sync"
)

// Flat is an event decoded once into the values at each of its field
// paths, for matching many patterns against one event: Flatten costs
// about twice one Match, and each MatchFlat then costs a table lookup per
// field the pattern names. A Flat is read-only, safe for concurrent use,
// and shares no memory with the event it came from.
type Flat struct {
	paths pathTable
	first []int32 // per path, the index in vals of its first value
	next  []int32 // per value, the index of the next of its path, or -1
	vals  []value // in event order
}

// Flatten decodes a JSON event for MatchFlat. An event that is not valid
// JSON, or not a JSON object, is an error.
func Flatten(event []byte) (*Flat, error) {
	s := flatPool.Get().(*flatSink)
	defer s.free()
	// The values, and the elems they point to, are the Flat's.
	n := len(event)/48 + 8
	s.vals, s.next = make([]value, 0, n), make([]int32, 0, n)
	var arrays arrayTracker
	sc := scanner{d: event, arrays: &arrays, flat: s, whole: string(event), path: s.path[:0]}
	err := sc.scan(all)
	s.path = sc.path
	if err != nil {
		return nil, err
	}
	return &Flat{
		// The smallest table at most half full.
		paths: pathTable{names: string(s.names), slots: rehash(s.paths.slots, max(4, 2<<bits.Len32(uint32(s.paths.count)))), count: s.paths.count},
		first: slices.Clone(s.first),
		next:  s.next,
		vals:  s.vals,
	}, nil
}

// MatchFlat reports whether the flattened event matches the pattern; it
// gives the same answer as Match on the event's JSON.
func (p *Pattern) MatchFlat(f *Flat) bool {
	if f == nil {
		return false
	}
	s := getScratch(len(p.leaves))
	defer s.free()
	vals := s.borrowed[:0]
	for i, path := range p.leaves {
		var vs []value
		if j := f.paths.find(path, p.hashes[i]); j >= 0 {
			k := f.first[j]
			if f.next[k] < 0 {
				vs = f.vals[k : k+1 : k+1] // the usual single value
			} else {
				for ; k >= 0; k = f.next[k] {
					s.vals[i] = append(s.vals[i], f.vals[k])
				}
				vs = s.vals[i]
			}
		}
		vals = append(vals, vs)
	}
	s.borrowed = vals
	return p.eval(vals, &s.eval)
}

var pathSeed = maphash.MakeSeed()

func pathHash(path string) uint32 { return uint32(maphash.String(pathSeed, path)) }

// pathTable maps field paths to small integers. It is an open-addressing
// hash table over one buffer of path bytes rather than a map[string],
// because a map would need a string allocated for each of the dozens of
// paths of every event flattened.
type pathTable struct {
	names string // every path, end to end; while building, flatSink.names
	slots []pathSlot
	count int32
}

type pathSlot struct {
	hash     uint32
	off, len int32 // the path is names[off : off+len]
	id       int32 // the path's number + 1; 0 marks a free slot
}

// find returns the number of path, whose hash is h, or -1.
func (t *pathTable) find(path string, h uint32) int32 {
	names := t.names
	mask := len(t.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.id == 0 {
			return -1
		}
		if s.hash == h && names[s.off:s.off+s.len] == path {
			return s.id - 1
		}
	}
}

// flatSink keeps every leaf of an event. It is pooled, but for the
// values and their chains, which become the Flat's.
type flatSink struct {
	paths  pathTable
	names  []byte
	path   []byte  // the scanner's
	first  []int32 // per path, its first value
	lastOf []int32 // per path, its last value so far
	vals   []value
	next   []int32
	// The path of the previous leaf, often the next one's too: its
	// number, and where it is in names.
	last, lastOff, lastLen int32
}

var flatPool = sync.Pool{New: func() any {
	return &flatSink{paths: pathTable{slots: make([]pathSlot, 128)}}
}}

func (s *flatSink) free() {
	if len(s.paths.slots) > 1024 {
		// Keep no huge table for the next, usually ordinary, event.
		s.paths.slots = make([]pathSlot, 128)
	}
	clear(s.paths.slots)
	s.paths.count = 0
	s.names, s.first, s.lastOf = s.names[:0], s.first[:0], s.lastOf[:0]
	s.vals, s.next = nil, nil
	flatPool.Put(s)
}

func (s *flatSink) add(path []byte, v value) {
	if s.paths.count == 0 || int(s.lastLen) != len(path) || string(path) != string(s.names[s.lastOff:s.lastOff+s.lastLen]) {
		s.last = s.intern(path)
	}
	k := int32(len(s.vals))
	s.vals = append(s.vals, v)
	s.next = append(s.next, -1)
	if id := s.last; s.first[id] < 0 {
		s.first[id] = k
	} else {
		s.next[s.lastOf[id]] = k
	}
	s.lastOf[s.last] = k
}

// intern returns the number of path, adding it if it is new.
func (s *flatSink) intern(path []byte) int32 {
	t := &s.paths
	h := uint32(maphash.Bytes(pathSeed, path))
	mask := len(t.slots) - 1
	i := int(h) & mask
	for ; t.slots[i].id != 0; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.hash == h && string(s.names[sl.off:sl.off+sl.len]) == string(path) {
			s.lastOff, s.lastLen = sl.off, sl.len
			return sl.id - 1
		}
	}
	off := int32(len(s.names))
	s.names = append(s.names, path...)
	s.first = append(s.first, -1)
	s.lastOf = append(s.lastOf, -1)
	t.count++
	t.slots[i] = pathSlot{hash: h, off: off, len: int32(len(path)), id: t.count}
	s.lastOff, s.lastLen = off, int32(len(path))
	if int(t.count)*2 > len(t.slots) {
		t.slots = rehash(t.slots, 2*len(t.slots))
	}
	return t.count - 1
}

// rehash returns the slots in a table of n, a power of two.
func rehash(slots []pathSlot, n int) []pathSlot {
	out := make([]pathSlot, n)
	mask := n - 1
	for _, sl := range slots {
		if sl.id != 0 {
			j := int(sl.hash) & mask
			for out[j].id != 0 {
				j = (j + 1) & mask
			}
			out[j] = sl
		}
	}
	return out
}
