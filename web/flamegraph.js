// flamegraph: the module app.js loads for /ui/flamegraph (views are /static/<view>.js); the
// flame graph itself lives in flame.js.
export {render, highlight, prefetch} from '/static/flame.js';
