"""Text templates in the simulated platform's other languages (es, pt, fr, de, hi, ar, id, tr).

Tame and clearly synthetic: hateful templates name fictional groups only. Slots missing from a
language's own table are filled from `templates_en.SHARED_SLOTS`.
"""

from __future__ import annotations

BANKS_INTL: dict[str, dict[str, tuple[str, ...]]] = {
    "es": {
        "benign": (
            "Acabo de terminar de {activity} y ahora toca {food} {emoji}",
            "¿Alguien más va a ver el partido del {team} esta noche? {emoji}",
            "¡Feliz cumpleaños a mi {relative}! Te quiero mucho {emoji}",
            "Por fin probé el nuevo lugar de {food} en {city}, buenísimo",
            "Lloviendo toda la semana en {city}, qué ganas de sol",
            "Mi {pet} no se quiere bajar del sofá {emoji}",
            "¿Alguien sabe si el museo de {city} abre los domingos?",
            "Gracias por los {n} mil seguidores, son los mejores {emoji}",
        ),
        "listing": (
            "Vendo mi {item}, casi nuevo, {price} pesos. Entrega en {city}.",
            "{item} en buen estado, {price} o mejor oferta",
        ),
        "profile": ("Vivo en {city} | me encanta {activity} | opiniones propias",),
        "hate": (
            "Los {group} están arruinando este país, que se vuelvan a su tierra",
            "Nunca contrates a un {group}, todos son ladrones",
        ),
        "dehumanization": ("Los {group} son una plaga, se reproducen como ratas",),
        "harassment": ("@{handle} eres patético, nadie te quiere aquí", "@{handle} borra tu cuenta, das vergüenza"),
        "spam": ("¡Sígueme y te sigo! {emoji} {url}", "Gana {n} mil seguidores gratis hoy mismo: {url}"),
        "scams": (
            "¡Felicidades! Ganaste una tarjeta de regalo de {brand}. Reclámala aquí: {url}",
            "Invierte {price} dólares hoy y recibe el triple en 48 horas, garantizado. Escríbeme",
        ),
        "election_misinformation": (
            "URGENTE: las elecciones en {city} fueron un fraude, encontraron {n} mil votos falsos. "
            "Compartan antes de que lo borren",
        ),
        "health_misinformation": (
            "Los médicos no quieren que sepas que una cucharada de {remedy} cura la diabetes en {n} días",
        ),
    },
    "pt": {
        "benign": (
            "Acabei de {activity} e agora é hora de {food} {emoji}",
            "Alguém mais vai assistir o jogo do {team} hoje? {emoji}",
            "Feliz aniversário pra minha {relative}! Te amo {emoji}",
            "Finalmente provei a {food} daquele lugar novo em {city}, nota 10",
            "Chovendo a semana toda em {city}, cadê o sol?",
            "Meu {pet} não sai do sofá de jeito nenhum {emoji}",
            "Alguém sabe se o museu de {city} abre no domingo?",
            "Obrigado pelos {n} mil seguidores, vocês são demais {emoji}",
        ),
        "listing": (
            "Vendo meu {item}, pouco usado, R$ {price}. Retirar em {city}.",
            "{item} em ótimo estado, R$ {price}, aceito propostas",
        ),
        "profile": ("Moro em {city} | amo {activity} | opiniões minhas",),
        "hate": (
            "Esses {group} estão destruindo o nosso país, tem que mandar todos embora",
            "Nunca contrate um {group}, são todos ladrões",
        ),
        "dehumanization": ("Os {group} são uma praga, se multiplicam como ratos",),
        "harassment": (
            "@{handle} você é ridículo, ninguém te suporta",
            "@{handle} apaga essa conta, você é uma vergonha",
        ),
        "spam": ("Me segue que eu sigo de volta!! {emoji} {url}", "Ganhe {n} mil seguidores grátis agora: {url}"),
        "scams": (
            "Parabéns! Você ganhou um vale-presente da {brand}. Resgate aqui: {url}",
            "Invista R$ {price} hoje e receba o triplo em 48 horas, garantido. Chama no privado",
        ),
        "election_misinformation": (
            "URGENTE: as urnas de {city} já vieram cheias, acharam {n} mil votos falsos. "
            "Compartilhem antes que apaguem",
        ),
        "health_misinformation": ("Os médicos escondem que uma colher de {remedy} cura diabetes em {n} dias",),
    },
    "fr": {
        "benign": (
            "Je viens de finir de {activity} et maintenant, {food} ! {emoji}",
            "Quelqu'un regarde le match du {team} ce soir ? {emoji}",
            "Joyeux anniversaire à ma {relative} ! Je t'aime {emoji}",
            "Enfin testé le nouveau resto de {city}, vraiment top",
            "Il pleut toute la semaine à {city}, vivement le soleil",
            "Mon {pet} refuse de quitter le canapé {emoji}",
            "Quelqu'un sait si le musée de {city} est ouvert le dimanche ?",
            "Merci pour les {n} 000 abonnés, vous êtes géniaux {emoji}",
        ),
        "listing": (
            "Je vends mon {item}, très peu servi, {price} €. À récupérer à {city}.",
            "{item} en bon état, {price} €, prix à débattre",
        ),
        "profile": ("J'habite à {city} | fan de {activity} | avis perso",),
        "hate": (
            "Les {group} détruisent ce pays, il faut tous les renvoyer chez eux",
            "N'embauchez jamais un {group}, ce sont tous des voleurs",
        ),
        "dehumanization": ("Les {group} sont de la vermine, ils se reproduisent comme des rats",),
        "harassment": (
            "@{handle} t'es pathétique, personne ne veut de toi ici",
            "@{handle} supprime ton compte, tu fais honte",
        ),
        "spam": (
            "Suivez-moi et je vous suis en retour !! {emoji} {url}",
            "Gagnez {n} 000 abonnés gratuits maintenant : {url}",
        ),
        "scams": (
            "Félicitations ! Vous avez gagné une carte cadeau {brand}. Réclamez-la ici : {url}",
            "Investissez {price} € aujourd'hui et recevez le triple en 48 heures, garanti. Écrivez-moi en privé",
        ),
        "election_misinformation": (
            "URGENT : l'élection à {city} a été truquée, {n} 000 faux bulletins retrouvés. "
            "Partagez avant que ce soit supprimé",
        ),
        "health_misinformation": (
            "Les médecins vous cachent qu'une cuillère de {remedy} guérit le diabète en {n} jours",
        ),
    },
    "de": {
        "benign": (
            "Gerade fertig mit {activity}, jetzt gibt's {food} {emoji}",
            "Schaut noch jemand heute Abend das Spiel von {team}? {emoji}",
            "Alles Gute zum Geburtstag an meine {relative}! Hab dich lieb {emoji}",
            "Endlich das neue Restaurant in {city} ausprobiert, richtig gut",
            "Die ganze Woche Regen in {city}, ich will Sonne",
            "Mein {pet} will einfach nicht vom Sofa runter {emoji}",
            "Weiß jemand, ob das Museum in {city} sonntags offen hat?",
            "Danke für {n}.000 Follower, ihr seid die Besten {emoji}",
        ),
        "listing": (
            "Verkaufe mein {item}, kaum benutzt, {price} €. Abholung in {city}.",
            "{item} in gutem Zustand, {price} € VB",
        ),
        "profile": ("Lebe in {city} | liebe {activity} | Meinung privat",),
        "hate": (
            "Die {group} machen dieses Land kaputt, schickt sie alle zurück",
            "Stellt niemals einen {group} ein, das sind alles Diebe",
        ),
        "dehumanization": ("Die {group} sind Ungeziefer, sie vermehren sich wie Ratten",),
        "harassment": (
            "@{handle} du bist erbärmlich, niemand will dich hier",
            "@{handle} lösch deinen Account, du bist peinlich",
        ),
        "spam": ("Folgt mir, ich folge zurück!! {emoji} {url}", "Jetzt {n}.000 Follower gratis: {url}"),
        "scams": (
            "Glückwunsch! Du hast einen {brand}-Gutschein gewonnen. Hier einlösen: {url}",
            "Investiere heute {price} € und bekomme in 48 Stunden das Dreifache zurück, garantiert. Schreib mir privat",
        ),
        "election_misinformation": (
            "EILT: Die Wahl in {city} wurde manipuliert, {n}.000 gefälschte Stimmzettel gefunden. "
            "Teilt das, bevor es gelöscht wird",
        ),
        "health_misinformation": ("Was Ärzte verschweigen: ein Löffel {remedy} heilt Diabetes in {n} Tagen",),
    },
    "id": {
        "benign": (
            "Baru selesai {activity}, sekarang waktunya makan {food} {emoji}",
            "Ada yang nonton pertandingan {team} malam ini? {emoji}",
            "Selamat ulang tahun {relative} tersayang! {emoji}",
            "Akhirnya coba {food} di tempat baru di {city}, enak banget",
            "Hujan terus seminggu di {city}, kangen matahari",
            "{pet} aku nggak mau turun dari sofa {emoji}",
            "Ada yang tahu museum di {city} buka hari Minggu?",
            "Makasih {n} ribu followers, kalian luar biasa {emoji}",
        ),
        "listing": (
            "Jual {item} bekas, mulus, Rp {price} ribu. COD {city}.",
            "{item} kondisi bagus, Rp {price} ribu nego",
        ),
        "profile": ("Tinggal di {city} | suka {activity} | opini pribadi",),
        "hate": (
            "Orang {group} merusak negeri ini, usir mereka semua",
            "Jangan pernah mempekerjakan orang {group}, mereka semua pencuri",
        ),
        "dehumanization": ("Orang {group} itu hama, berkembang biak seperti tikus",),
        "harassment": (
            "@{handle} kamu menyedihkan, nggak ada yang mau kamu di sini",
            "@{handle} hapus akunmu, bikin malu",
        ),
        "spam": (
            "Follow aku, pasti follow balik!! {emoji} {url}",
            "Dapatkan {n} ribu followers gratis sekarang: {url}",
        ),
        "scams": (
            "Selamat! Anda memenangkan voucher {brand}. Klaim di sini: {url}",
            "Investasi Rp {price} ribu hari ini, untung 3x lipat dalam 48 jam, dijamin. DM aku",
        ),
        "election_misinformation": (
            "PENTING: pemilu di {city} dicurangi, {n} ribu surat suara palsu ditemukan. Sebarkan sebelum dihapus",
        ),
        "health_misinformation": (
            "Dokter tidak mau kamu tahu: satu sendok {remedy} menyembuhkan diabetes dalam {n} hari",
        ),
    },
    "tr": {
        "benign": (
            "{activity} bitti, şimdi {food} zamanı {emoji}",
            "Bu akşam {team} maçını izleyen var mı? {emoji}",
            "İyi ki doğdun {relative}! Seni çok seviyorum {emoji}",
            "Sonunda {city} şehrindeki yeni restoranı denedim, harikaydı",
            "Bütün hafta {city} şehrinde yağmur, güneşi özledim",
            "{pet} koltuktan inmek istemiyor {emoji}",
            "{city} müzesi pazar günü açık mı, bilen var mı?",
            "{n} bin takipçi için teşekkürler, harikasınız {emoji}",
        ),
        "listing": (
            "Satılık {item}, az kullanılmış, {price} TL. {city} elden teslim.",
            "Temiz {item}, {price} TL, pazarlık olur",
        ),
        "profile": ("{city} | {activity} sever | görüşler kişiseldir",),
        "hate": ("Bu {group} ülkeyi mahvediyor, hepsini geri gönderin", "Asla bir {group} işe almayın, hepsi hırsız"),
        "dehumanization": ("{group} denen şeyler haşere, fareler gibi üreyorlar",),
        "harassment": ("@{handle} çok zavallısın, kimse seni burada istemiyor", "@{handle} hesabını sil, rezil oldun"),
        "spam": ("Takip et, geri takip garantili!! {emoji} {url}", "Hemen {n} bin ücretsiz takipçi kazan: {url}"),
        "scams": (
            "Tebrikler! {brand} hediye çeki kazandınız. Buradan alın: {url}",
            "Bugün {price} TL yatır, 48 saatte üç katını al, garantili. DM at",
        ),
        "election_misinformation": (
            "ACİL: {city} seçimlerinde hile yapıldı, {n} bin sahte oy pusulası bulundu. Silinmeden paylaşın",
        ),
        "health_misinformation": ("Doktorların sakladığı gerçek: bir kaşık {remedy} diyabeti {n} günde iyileştiriyor",),
    },
    "hi": {
        "benign": (
            "अभी {activity} खत्म किया, अब {food} का समय {emoji}",
            "आज रात {team} का मैच कौन देख रहा है? {emoji}",
            "जन्मदिन मुबारक हो {relative}! बहुत सारा प्यार {emoji}",
            "आखिरकार {city} में नई जगह का {food} खाया, बहुत बढ़िया",
            "पूरे हफ्ते {city} में बारिश, धूप की याद आ रही है",
            "मेरा {pet} सोफे से उतरने को तैयार ही नहीं {emoji}",
            "क्या किसी को पता है {city} का संग्रहालय रविवार को खुला है?",
            "{n} हज़ार फॉलोअर्स के लिए धन्यवाद, आप सब कमाल हैं {emoji}",
        ),
        "listing": (
            "मेरा {item} बेचना है, कम इस्तेमाल हुआ, ₹{price}। {city} में लें।",
            "{item} अच्छी हालत में, ₹{price}, मोलभाव संभव",
        ),
        "profile": ("{city} | {activity} पसंद है | विचार निजी हैं",),
        "hate": (
            "ये {group} लोग देश को बर्बाद कर रहे हैं, सबको वापस भेजो",
            "किसी {group} को कभी नौकरी मत दो, सब चोर हैं",
        ),
        "dehumanization": ("ये {group} कीड़े-मकोड़े हैं, चूहों की तरह बढ़ते जा रहे हैं",),
        "harassment": (
            "@{handle} तुम बहुत घटिया हो, यहाँ कोई तुम्हें नहीं चाहता",
            "@{handle} अपना अकाउंट डिलीट करो, शर्म करो",
        ),
        "spam": ("मुझे फॉलो करो, फॉलो बैक पक्का!! {emoji} {url}", "अभी {n} हज़ार फ्री फॉलोअर्स पाओ: {url}"),
        "scams": (
            "बधाई हो! आपने {brand} गिफ्ट कार्ड जीता है। यहाँ क्लेम करें: {url}",
            "आज ₹{price} लगाओ, 48 घंटे में तीन गुना पाओ, गारंटी। DM करो",
        ),
        "election_misinformation": ("ज़रूरी: {city} के चुनाव में धांधली हुई, {n} हज़ार नकली वोट मिले। डिलीट होने से पहले शेयर करें",),
        "health_misinformation": ("डॉक्टर नहीं बताएंगे: एक चम्मच {remedy} {n} दिन में डायबिटीज़ ठीक कर देता है",),
    },
    "ar": {
        "benign": (
            "انتهيت للتو من {activity}، والآن وقت {food} {emoji}",
            "هل يشاهد أحد مباراة {team} الليلة؟ {emoji}",
            "عيد ميلاد سعيد يا {relative}! أحبك كثيرا {emoji}",
            "أخيرا جربت {food} في المطعم الجديد في {city}، رائع",
            "مطر طوال الأسبوع في {city}، اشتقت للشمس",
            "{pet} يرفض النزول عن الأريكة {emoji}",
            "هل يعرف أحد إن كان متحف {city} مفتوحا يوم الأحد؟",
            "شكرا على {n} ألف متابع، أنتم رائعون {emoji}",
        ),
        "listing": (
            "للبيع {item} مستعمل قليلا، {price} جنيه. الاستلام في {city}.",
            "{item} بحالة ممتازة، {price} جنيه قابل للتفاوض",
        ),
        "profile": ("أعيش في {city} | أحب {activity} | الآراء شخصية",),
        "hate": ("هؤلاء {group} يدمرون بلدنا، يجب طردهم جميعا", "لا توظف أبدا أحدا من {group}، كلهم لصوص"),
        "dehumanization": ("{group} حشرات، يتكاثرون مثل الفئران",),
        "harassment": ("@{handle} أنت مثير للشفقة، لا أحد يريدك هنا", "@{handle} احذف حسابك، أنت فضيحة"),
        "spam": ("تابعني وأتابعك فورا!! {emoji} {url}", "احصل على {n} ألف متابع مجانا الآن: {url}"),
        "scams": (
            "مبروك! لقد ربحت بطاقة هدايا من {brand}. اطلبها من هنا: {url}",
            "استثمر {price} جنيه اليوم واحصل على ثلاثة أضعافها خلال 48 ساعة، مضمون. راسلني",
        ),
        "election_misinformation": (
            "عاجل: الانتخابات في {city} مزورة، تم العثور على {n} ألف صوت مزيف. انشروا قبل الحذف",
        ),
        "health_misinformation": ("الأطباء يخفون عنك: ملعقة من {remedy} تعالج السكري في {n} أيام",),
    },
}

SLOTS_INTL: dict[str, dict[str, tuple[str, ...]]] = {
    "es": {
        "city": ("Ciudad de México", "Guadalajara", "Madrid", "Barcelona", "Sevilla", "Monterrey", "Valencia"),
        "food": ("tacos", "paella", "churros", "enchiladas", "tortilla", "pozole"),
        "activity": ("correr", "cocinar", "leer", "trabajar", "estudiar", "nadar"),
        "team": ("América", "Real Madrid", "Barça", "Chivas", "Betis"),
        "relative": ("mamá", "papá", "hermana", "abuela", "hermano"),
        "pet": ("perro", "gato"),
        "item": ("bicicleta", "sofá", "celular", "mesa", "guitarra", "cámara"),
        "remedy": ("miel", "vinagre", "cúrcuma", "bicarbonato"),
    },
    "pt": {
        "city": ("São Paulo", "Rio de Janeiro", "Belo Horizonte", "Salvador", "Recife", "Porto Alegre", "Curitiba"),
        "food": ("feijoada", "coxinha", "tapioca", "pizza", "moqueca"),
        "activity": ("correr", "cozinhar", "ler", "trabalhar", "estudar", "nadar"),
        "team": ("Flamengo", "Corinthians", "Palmeiras", "São Paulo", "Grêmio"),
        "relative": ("mãe", "irmã", "avó", "tia", "prima"),
        "pet": ("cachorro", "gato"),
        "item": ("celular", "sofá", "violão", "notebook", "videogame"),
        "remedy": ("mel", "vinagre", "açafrão", "bicarbonato"),
    },
    "fr": {
        "city": ("Paris", "Lyon", "Marseille", "Toulouse", "Lille", "Nantes", "Bordeaux", "Strasbourg"),
        "food": ("crêpes", "raclette", "croissants", "couscous", "fondue"),
        "activity": ("courir", "cuisiner", "lire", "travailler", "réviser", "nager"),
        "team": ("PSG", "OM", "OL", "Stade Rennais", "LOSC"),
        "relative": ("mère", "sœur", "grand-mère", "tante", "cousine"),
        "pet": ("chien", "chat"),
        "item": ("vélo", "canapé", "téléphone", "bureau", "appareil photo"),
        "remedy": ("miel", "vinaigre", "curcuma", "bicarbonate"),
    },
    "de": {
        "city": ("Berlin", "Hamburg", "München", "Köln", "Frankfurt", "Stuttgart", "Leipzig", "Dresden"),
        "food": ("Pizza", "Kuchen", "Currywurst", "Brezeln", "Spätzle"),
        "activity": ("Joggen", "Kochen", "Lesen", "Arbeiten", "Lernen", "Schwimmen"),
        "team": ("Bayern", "dem BVB", "Schalke", "Werder", "dem HSV"),
        "relative": ("Mama", "Schwester", "Oma", "Tante", "Cousine"),
        "pet": ("Hund", "Kater"),
        "item": ("Fahrrad", "Sofa", "Handy", "Klavier", "Zelt", "E-Bike"),
        "remedy": ("Honig", "Essig", "Kurkuma", "Natron"),
    },
    "id": {
        "city": ("Jakarta", "Surabaya", "Bandung", "Medan", "Yogyakarta", "Makassar", "Semarang", "Denpasar"),
        "food": ("nasi goreng", "sate", "bakso", "rendang", "martabak"),
        "activity": ("lari", "masak", "baca buku", "kerja", "belajar", "berenang"),
        "team": ("Persija", "Persib", "Arema", "Timnas"),
        "relative": ("ibu", "kakak", "adik", "nenek", "ayah"),
        "pet": ("Kucing", "Anjing"),
        "item": ("sepeda", "sofa", "HP", "meja", "gitar", "kamera"),
        "remedy": ("madu", "cuka", "kunyit", "jahe"),
    },
    "tr": {
        "city": ("İstanbul", "Ankara", "İzmir", "Bursa", "Antalya", "Adana", "Konya", "Trabzon"),
        "food": ("lahmacun", "simit", "döner", "baklava", "mantı"),
        "activity": ("Koşu", "Ders", "Antrenman", "Yüzme", "Mesai"),
        "team": ("Galatasaray", "Fenerbahçe", "Beşiktaş", "Trabzonspor"),
        "relative": ("anneciğim", "kardeşim", "babaannem", "ablacım"),
        "pet": ("Kedim", "Köpeğim"),
        "item": ("bisiklet", "koltuk", "telefon", "masa", "gitar", "kamera"),
        "remedy": ("bal", "sirke", "zerdeçal", "karbonat"),
    },
    "hi": {
        "city": ("दिल्ली", "मुंबई", "जयपुर", "लखनऊ", "पटना", "भोपाल", "पुणे", "वाराणसी"),
        "food": ("समोसा", "बिरयानी", "पराठा", "छोले भटूरे", "जलेबी"),
        "activity": ("दौड़ना", "खाना बनाना", "पढ़ाई", "काम", "योग"),
        "team": ("भारत", "मुंबई इंडियंस", "चेन्नई सुपर किंग्स", "आरसीबी"),
        "relative": ("माँ", "दीदी", "भैया", "दादी", "पापा"),
        "pet": ("कुत्ता", "बिल्ला"),
        "item": ("साइकिल", "सोफा", "मोबाइल", "गिटार", "कैमरा"),
        "remedy": ("शहद", "सिरका", "हल्दी", "अदरक"),
    },
    "ar": {
        "city": ("القاهرة", "الإسكندرية", "الجيزة", "أسوان", "الأقصر", "المنصورة", "طنطا", "بورسعيد"),
        "food": ("الكشري", "الفول", "الفلافل", "الملوخية", "البسبوسة"),
        "activity": ("الجري", "الطبخ", "القراءة", "العمل", "المذاكرة"),
        "team": ("الأهلي", "الزمالك", "منتخب مصر", "الإسماعيلي"),
        "relative": ("أمي", "أختي", "جدتي", "خالتي", "أبي"),
        "pet": ("قطي", "كلبي"),
        "item": ("دراجة", "كنبة", "موبايل", "طاولة", "جيتار", "كاميرا"),
        "remedy": ("العسل", "الخل", "الكركم", "الزنجبيل"),
    },
}
