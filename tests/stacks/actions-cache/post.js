process.argv[2] = "post";
require("./cache.js");
