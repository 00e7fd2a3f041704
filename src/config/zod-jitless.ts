// The CLI's zod schemas parse once or twice per process: a config with a mistake to word, a
// manifest, the tool run records `resume` reads back. The first time zod parses with an object
// schema it compiles a parser for it (`new Function`), which pays off over many parses and, for
// one, costs more than it saves: about 10 ms of a `status` or a `resume`. zod reads the setting
// when a schema is made, so every module that makes the CLI's schemas imports this one first;
// it holds for the whole process.
import { z } from 'zod';

z.config({ jitless: true });
