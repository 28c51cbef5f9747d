"""Download a manifest's images into webdataset shards (img2dataset per shard on dask)."""
