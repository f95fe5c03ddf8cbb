"""The office's handling units (承办单位): one register for every loop that assigns work to them."""
