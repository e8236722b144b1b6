package seal

// chunkLen is the number of values of one block of a chunks list.
const chunkLen = 1 << 15

// chunks is an append-only list kept in blocks of chunkLen values, so that
// growing it never copies what it holds. A tree of a million events kept in
// one slice doubled it on the first event after a start: 128 MiB cleared
// and 64 MiB copied at once, over a second of CPU while votes waited.
type chunks[T any] struct {
	blocks [][]T
	n      int64
}

// len returns the number of values held.
func (c *chunks[T]) len() int64 { return c.n }

// at returns value i; i must be in [0, len).
func (c *chunks[T]) at(i int64) T { return c.blocks[i/chunkLen][i%chunkLen] }

// add appends vs.
func (c *chunks[T]) add(vs ...T) {
	for _, v := range vs {
		if c.n%chunkLen == 0 {
			c.blocks = append(c.blocks, make([]T, 0, chunkLen))
		}
		b := &c.blocks[len(c.blocks)-1]
		*b = append(*b, v)
		c.n++
	}
}

// all calls f with each value in order until f returns an error.
func (c *chunks[T]) all(f func(T) error) error {
	for _, b := range c.blocks {
		for _, v := range b {
			if err := f(v); err != nil {
				return err
			}
		}
	}
	return nil
}
