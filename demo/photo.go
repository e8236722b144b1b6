package demo

import (
	"bytes"
	"hash/fnv"
	"image"
	"image/color"
	"image/png"
)

// photo draws a small distinct PNG for a demo photo: a coloured field with
// a band whose colour and place derive from the label and the number.
func photo(label string, n int) ([]byte, error) {
	h := fnv.New32a()
	h.Write([]byte(label))
	sum := h.Sum32() + uint32(n)*2654435761
	bg := color.RGBA{R: uint8(sum), G: uint8(sum >> 8), B: uint8(sum >> 16), A: 255}
	band := color.RGBA{R: 255 - bg.R, G: 255 - bg.G, B: 255 - bg.B, A: 255}
	const w, ht = 160, 120
	img := image.NewRGBA(image.Rect(0, 0, w, ht))
	top := int(sum>>24) % (ht - 20)
	for y := range ht {
		for x := range w {
			c := bg
			if y >= top && y < top+20 {
				c = band
			}
			img.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
