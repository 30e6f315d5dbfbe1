// The playground's "Show code": the form's current request as curl, Python (the openai SDK) and the imagegate CLI,
// pointed at this server. The key is always read from IMAGEGATE_API_KEY, never written into the code.

/** A shell word in single quotes (a quote inside becomes '\''). */
function shellQuote(text) {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** A Python string literal: JSON's string syntax is Python's for every character JSON writes. */
function pythonString(text) {
  return JSON.stringify(text);
}

/**
 * The three snippets for `body` (what the form would send, without its references) on the model `model` (the catalog
 * entry the playground reads), served at `origin`. An edit's references are `links` (addresses, written as they are)
 * and `names` (picked files, named by their file: curl gets an example address in their place).
 */
export function snippets(body, model, references, origin) {
  return { curl: curl(body, references, origin), python: python(body, model, references, origin), cli: cli(body, references, origin) };
}

function curl(body, references, origin) {
  const sent = { ...body };
  if (body.mode === "edit") sent.image_urls = [...references.links, ...references.names.map((name) => `https://example.com/${name}`)];
  return [
    `curl -X POST "${origin}/v1/generate" \\`,
    `  -H "Authorization: Bearer $IMAGEGATE_API_KEY" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d ${shellQuote(JSON.stringify(sent, null, 2))}`,
  ].join("\n");
}

function python(body, model, references, origin) {
  const pixels = model.pixel_sizes?.[body.size]?.[body.aspect_ratio];
  const args = [`    model=${pythonString(body.model)},`];
  // images.edit uploads files: an address is downloaded first, under its last path segment.
  const fileOf = (link) => (link.startsWith("data:") ? "" : link.split("?")[0].split("/").pop()) || "image.png";
  const files = [...references.links.map(fileOf), ...references.names];
  if (body.mode === "edit") args.push(`    image=[${files.map((name) => `open(${pythonString(name)}, "rb")`).join(", ")}],`);
  args.push(`    prompt=${pythonString(body.prompt)},`);
  args.push(`    size=${pythonString(pixels ? `${pixels[0]}x${pixels[1]}` : "auto")},`);
  if (body.num_images !== undefined && body.num_images !== null) args.push(`    n=${body.num_images},`);
  args.push(`    output_format=${pythonString(body.output_format)},`);
  // The SDK has no seed parameter: ImageGate reads it from the body, where extra_body puts it.
  if (body.seed !== undefined) args.push(`    extra_body={"seed": ${body.seed}},`);
  return [
    "# pip install openai",
    "import os",
    "from openai import OpenAI",
    "",
    `client = OpenAI(base_url=${pythonString(`${origin}/v1`)}, api_key=os.environ["IMAGEGATE_API_KEY"])`,
    `result = client.images.${body.mode === "edit" ? "edit" : "generate"}(`,
    ...args,
    ")",
    "for image in result.data:",
    "    print(image.url)",
  ].join("\n");
}

function cli(body, references, origin) {
  const options = [`--model ${body.model}`, `--aspect-ratio ${body.aspect_ratio}`, `--size ${body.size}`];
  if (body.num_images !== undefined && body.num_images !== null) options.push(`-n ${body.num_images}`);
  if (body.seed !== undefined) options.push(`--seed ${body.seed}`);
  options.push(`--format ${body.output_format}`);
  if (body.mode === "edit") options.push(...[...references.links, ...references.names].map((name) => `--image ${shellQuote(name)}`));
  return [`export IMAGEGATE_URL=${origin}`, `imagegate generate ${options.join(" ")} \\`, `  ${shellQuote(body.prompt)}`].join("\n");
}
