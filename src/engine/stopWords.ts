/**
 * Words too common to tell questions apart, per language, dropped from phrasings and typed text
 * before matching (questionIndex.ts). Kept short on purpose: words that carry a shop question's
 * meaning stay out of them even when common ("open", "long", "much" in "how much"… is dropped, but
 * "cost", "price", "time", "size" are kept). Accents and case are folded as in normalize().
 * A language not listed here keeps every word.
 */
const EN = `a about am an and any anything are as at be been but by can could did do does doing for from
get got had has have having hello hey hi how i i'm if in into is it its just know let me might my need
of on or our please s so some tell than thank thanks that the their them then there these they this to
u ur up us was we what whats when where which who why will with would ya yes you your yours d ll m re t ve`;
const FR = `a ai aie alors au aussi aux avec avez avoir bonjour c ca ce ces cet cette comment d dans de des
dit dois donc du elle en es est et etes faire fait il ils j je l la le les leur lui m ma mais me merci mes moi
mon n ne nos notre nous on ou par pas peut peux pour puis puisje qu quand que quel quelle quelles quels qui s sa
salut se ses si son sont suis sur svp t ta te tes toi ton tu un une vos votre vous y`;
const ES = `a al algo como con cual cuales cuando de del el ella ellos en es esta estan este esto eso gracias
hay hola la las le les lo los me mi mis muy no nos o para pero por porfa porque puedo puede pueden que quien se
si sin su sus te tengo ti tiene tienen tu tus un una uno unos usted ustedes y ya yo`;

const list = (words: string): ReadonlySet<string> => new Set(words.split(/\s+/).filter((w) => w !== ''));

export const STOP_WORDS: Readonly<Record<string, ReadonlySet<string>>> = { en: list(EN), fr: list(FR), es: list(ES) };

/** The stop words of a language tag ("pt-BR" → "pt"); undefined when none are known for it. */
export const stopWordsOf = (lang: string): ReadonlySet<string> | undefined => STOP_WORDS[lang.toLowerCase().split('-')[0] ?? ''];
