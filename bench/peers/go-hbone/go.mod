module ambit.bench/go-hbone

go 1.19
