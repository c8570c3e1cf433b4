process.argv[2] = "save";
require("../cache.js");
