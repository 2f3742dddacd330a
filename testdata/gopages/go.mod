module example.com/gopages

go 1.19
