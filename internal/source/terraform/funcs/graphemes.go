package funcs

// graphemes counts the grapheme clusters of s, as Terraform's length()
// does. The segmenter is the one hcl and cty link for the toolchain
// (graphemes_v15.go, graphemes_v17.go): one go-textseg in the binary.
func graphemes(s string) (int, error) {
	data, n := []byte(s), 0
	for len(data) > 0 {
		adv, _, err := scanGraphemeClusters(data, true)
		if err != nil {
			return 0, err
		}
		if adv <= 0 {
			break
		}
		data = data[adv:]
		n++
	}
	return n, nil
}
